-- The older versions whose schedules' data a function version can migrate
-- (its manifest's `migratesFrom`): a JSON array of versions, NULL when none.
ALTER TABLE functions ADD COLUMN migrates_from TEXT;
