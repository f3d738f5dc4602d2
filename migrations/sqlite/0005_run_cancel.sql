-- A request to cancel a running run, for whichever instance holds it; a
-- pending run is cancelled at once and needs no request.
ALTER TABLE runs ADD COLUMN cancel_requested_at INTEGER;
