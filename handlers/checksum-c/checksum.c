/*
 * checksum-c: an Enschedule handler written in C, to show that the handler
 * ABI needs no Rust. It is a WASI preview-1 command: it reads the run's data,
 * { "text": string }, as JSON on stdin and prints
 *
 *     length=<bytes of the text in UTF-8> crc32=<8 lowercase hex digits>
 *
 * Bad data gets one line on stderr and exit code 1, as with the Rust SDK.
 *
 * wasi-libc has no JSON parser, so the data is parsed here. The whole input
 * is checked against RFC 8259; members other than "text" are checked and
 * skipped (as serde does in the Rust handlers); the text is decoded exactly,
 * with every escape, and surrogate pairs joined into one UTF-8 character.
 *
 * build.sh compiles it with clang --target=wasm32-wasi.
 */

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The manifest travels in the module as the custom section `enschedule`.
 * Clang 14 has no attribute for that (`section` only names a data segment,
 * which ends up in linear memory), but its assembler has: a section named
 * `.custom_section.NAME` becomes the custom section NAME, and wasm-ld keeps
 * it. `.incbin` copies manifest.json in unchanged, so the file stays the only
 * copy; its path is relative to where clang runs, which build.sh sets.
 */
__asm__(".section .custom_section.enschedule,\"\",@\n"
        ".incbin \"manifest.json\"\n"
        ".text\n");

/* Containers may nest this deep in skipped members; deeper input is refused
 * rather than risk the small wasm stack. */
enum { MAX_DEPTH = 128 };

/* ---- bytes: a growable buffer ------------------------------------------ */

/* The text may hold NUL (\u0000), so buffers keep their length. */
struct bytes {
    unsigned char *data;
    size_t len;
    size_t cap;
};

static void exit_out_of_memory(void) {
    fputs("out of memory\n", stderr);
    exit(1);
}

static void bytes_reserve(struct bytes *buffer, size_t extra) {
    if (buffer->cap - buffer->len >= extra)
        return;
    size_t cap = buffer->cap ? buffer->cap : 256;
    while (cap - buffer->len < extra) {
        if (cap > SIZE_MAX / 2)
            exit_out_of_memory();
        cap *= 2;
    }
    unsigned char *data = realloc(buffer->data, cap);
    if (!data)
        exit_out_of_memory();
    buffer->data = data;
    buffer->cap = cap;
}

static void bytes_push(struct bytes *buffer, unsigned char byte) {
    bytes_reserve(buffer, 1);
    buffer->data[buffer->len++] = byte;
}

static void bytes_append(struct bytes *buffer, const unsigned char *from, size_t len) {
    bytes_reserve(buffer, len);
    memcpy(buffer->data + buffer->len, from, len);
    buffer->len += len;
}

/* Reads a stream to its end; false on a read error. */
static bool read_all(FILE *stream, struct bytes *into) {
    for (;;) {
        bytes_reserve(into, 4096);
        size_t got = fread(into->data + into->len, 1, into->cap - into->len, stream);
        into->len += got;
        if (got == 0)
            return !ferror(stream);
    }
}

/* ---- the parser -------------------------------------------------------- */

struct parser {
    const unsigned char *start; /* for byte offsets in messages */
    const unsigned char *at;
    const unsigned char *end;
    const char *error;          /* the problem found, or NULL */
    const unsigned char *error_at; /* where, or NULL when it has no place */
};

/* Records a problem and returns false, so that callers can `return fail...`
 * and every caller up the chain stops at once. */
static bool fail_at(struct parser *p, const unsigned char *where, const char *problem) {
    if (!p->error) {
        p->error = problem;
        p->error_at = where;
    }
    return false;
}

static bool fail(struct parser *p, const char *problem) {
    return fail_at(p, p->at, problem);
}

static void skip_whitespace(struct parser *p) {
    while (p->at < p->end && (*p->at == ' ' || *p->at == '\t' || *p->at == '\n' || *p->at == '\r'))
        p->at++;
}

static bool next_is(const struct parser *p, char c) {
    return p->at < p->end && *p->at == (unsigned char)c;
}

static bool consume(struct parser *p, char c) {
    if (!next_is(p, c))
        return false;
    p->at++;
    return true;
}

/* ---- strings ----------------------------------------------------------- */

static void push_utf8(struct bytes *out, uint32_t code_point) {
    if (code_point < 0x80) {
        bytes_push(out, (unsigned char)code_point);
    } else if (code_point < 0x800) {
        bytes_push(out, (unsigned char)(0xC0 | code_point >> 6));
        bytes_push(out, (unsigned char)(0x80 | (code_point & 0x3F)));
    } else if (code_point < 0x10000) {
        bytes_push(out, (unsigned char)(0xE0 | code_point >> 12));
        bytes_push(out, (unsigned char)(0x80 | (code_point >> 6 & 0x3F)));
        bytes_push(out, (unsigned char)(0x80 | (code_point & 0x3F)));
    } else {
        bytes_push(out, (unsigned char)(0xF0 | code_point >> 18));
        bytes_push(out, (unsigned char)(0x80 | (code_point >> 12 & 0x3F)));
        bytes_push(out, (unsigned char)(0x80 | (code_point >> 6 & 0x3F)));
        bytes_push(out, (unsigned char)(0x80 | (code_point & 0x3F)));
    }
}

static int hex_value(unsigned char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads the four hex digits after `\u`. */
static bool read_hex4(struct parser *p, uint32_t *unit) {
    *unit = 0;
    for (int i = 0; i < 4; i++) {
        int digit = p->at < p->end ? hex_value(*p->at) : -1;
        if (digit < 0)
            return fail(p, "a \\u escape needs four hex digits");
        *unit = *unit << 4 | (uint32_t)digit;
        p->at++;
    }
    return true;
}

static bool is_high_surrogate(uint32_t unit) { return unit >= 0xD800 && unit <= 0xDBFF; }
static bool is_low_surrogate(uint32_t unit) { return unit >= 0xDC00 && unit <= 0xDFFF; }

/* Decodes `\uXXXX` (p->at is past the `u`; `escape` is its backslash). JSON
 * writes a character above U+FFFF as a UTF-16 surrogate pair of two escapes;
 * either half alone names no character and has no UTF-8 form, so it is
 * refused, as serde_json does. */
static bool parse_unicode_escape(struct parser *p, const unsigned char *escape, struct bytes *out) {
    uint32_t unit;
    if (!read_hex4(p, &unit))
        return false;
    if (is_low_surrogate(unit))
        return fail_at(p, escape, "a \\u escape is a low surrogate with no high one before it");
    if (is_high_surrogate(unit)) {
        uint32_t low;
        if (!(p->end - p->at >= 2 && p->at[0] == '\\' && p->at[1] == 'u'))
            return fail_at(p, escape, "a \\u escape is a high surrogate with no low one after it");
        p->at += 2;
        if (!read_hex4(p, &low))
            return false;
        if (!is_low_surrogate(low))
            return fail_at(p, escape, "a \\u escape is a high surrogate with no low one after it");
        unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
    }
    push_utf8(out, unit);
    return true;
}

/* Decodes the escape at p->at (a backslash). */
static bool parse_escape(struct parser *p, struct bytes *out) {
    const unsigned char *escape = p->at++;
    if (p->at == p->end)
        return fail_at(p, escape, "a string is not closed");
    unsigned char c = *p->at++;
    switch (c) {
    case '"':
    case '\\':
    case '/': bytes_push(out, c); return true;
    case 'b': bytes_push(out, '\b'); return true;
    case 'f': bytes_push(out, '\f'); return true;
    case 'n': bytes_push(out, '\n'); return true;
    case 'r': bytes_push(out, '\r'); return true;
    case 't': bytes_push(out, '\t'); return true;
    case 'u': return parse_unicode_escape(p, escape, out);
    default: return fail_at(p, escape, "an unknown escape in a string");
    }
}

/* Copies one unescaped character, checking that it is well-formed UTF-8
 * (RFC 3629: the shortest form, no surrogates, at most U+10FFFF), so that
 * the length printed counts the bytes of a real UTF-8 text. */
static bool copy_utf8_char(struct parser *p, struct bytes *out) {
    unsigned char lead = *p->at;
    size_t size;
    uint32_t code_point, smallest;
    if (lead < 0x80) {
        size = 1, code_point = lead, smallest = 0;
    } else if ((lead & 0xE0) == 0xC0) {
        size = 2, code_point = lead & 0x1F, smallest = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
        size = 3, code_point = lead & 0x0F, smallest = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
        size = 4, code_point = lead & 0x07, smallest = 0x10000;
    } else {
        return fail(p, "the input is not valid UTF-8");
    }
    if ((size_t)(p->end - p->at) < size)
        return fail(p, "the input is not valid UTF-8");
    for (size_t i = 1; i < size; i++) {
        if ((p->at[i] & 0xC0) != 0x80)
            return fail(p, "the input is not valid UTF-8");
        code_point = code_point << 6 | (p->at[i] & 0x3F);
    }
    if (code_point < smallest || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF))
        return fail(p, "the input is not valid UTF-8");
    bytes_append(out, p->at, size);
    p->at += size;
    return true;
}

/* Decodes the string at p->at, quotes included, appending it to `out`. */
static bool parse_string(struct parser *p, struct bytes *out) {
    const unsigned char *opening = p->at;
    if (!consume(p, '"'))
        return fail(p, "expected a string");
    for (;;) {
        if (p->at == p->end)
            return fail_at(p, opening, "a string is not closed");
        unsigned char c = *p->at;
        if (c == '"') {
            p->at++;
            return true;
        }
        if (c < 0x20)
            return fail(p, "a control character in a string must be escaped");
        bool ok = c == '\\' ? parse_escape(p, out) : copy_utf8_char(p, out);
        if (!ok)
            return false;
    }
}

/* ---- values that are checked and skipped -------------------------------- */

static bool skip_value(struct parser *p, int depth);

/* Reads `"name" :` with the whitespace around it into `name`. */
static bool parse_member_name(struct parser *p, struct bytes *name) {
    skip_whitespace(p);
    if (!next_is(p, '"'))
        return fail(p, "expected a member name in quotes");
    name->len = 0;
    if (!parse_string(p, name))
        return false;
    skip_whitespace(p);
    if (!consume(p, ':'))
        return fail(p, "expected `:` after a member name");
    skip_whitespace(p);
    return true;
}

static bool skip_object(struct parser *p, int depth) {
    struct bytes name = {0};
    bool ok = true;
    p->at++; /* the `{` */
    skip_whitespace(p);
    if (!consume(p, '}')) {
        do {
            ok = parse_member_name(p, &name) && skip_value(p, depth + 1);
            skip_whitespace(p);
        } while (ok && consume(p, ','));
        if (ok && !consume(p, '}'))
            ok = fail(p, "expected `,` or `}` in an object");
    }
    free(name.data);
    return ok;
}

static bool skip_array(struct parser *p, int depth) {
    p->at++; /* the `[` */
    skip_whitespace(p);
    if (consume(p, ']'))
        return true;
    do {
        skip_whitespace(p);
        if (!skip_value(p, depth + 1))
            return false;
        skip_whitespace(p);
    } while (consume(p, ','));
    if (!consume(p, ']'))
        return fail(p, "expected `,` or `]` in an array");
    return true;
}

static size_t skip_digits(struct parser *p) {
    size_t count = 0;
    while (p->at < p->end && *p->at >= '0' && *p->at <= '9')
        p->at++, count++;
    return count;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool skip_number(struct parser *p) {
    const unsigned char *start = p->at;
    consume(p, '-');
    if (!consume(p, '0') && skip_digits(p) == 0)
        return fail_at(p, start, "an invalid number");
    if (consume(p, '.') && skip_digits(p) == 0)
        return fail_at(p, start, "an invalid number");
    if (consume(p, 'e') || consume(p, 'E')) {
        if (!consume(p, '+'))
            consume(p, '-');
        if (skip_digits(p) == 0)
            return fail_at(p, start, "an invalid number");
    }
    return true;
}

static bool skip_literal(struct parser *p, const char *word) {
    size_t len = strlen(word);
    if ((size_t)(p->end - p->at) < len || memcmp(p->at, word, len) != 0)
        return fail(p, "expected a JSON value");
    p->at += len;
    return true;
}

/* Checks and skips the value at p->at, which sits `depth` containers deep. */
static bool skip_value(struct parser *p, int depth) {
    if (depth > MAX_DEPTH)
        return fail(p, "the data is nested too deeply");
    if (p->at == p->end)
        return fail(p, "expected a JSON value");
    switch (*p->at) {
    case '{': return skip_object(p, depth);
    case '[': return skip_array(p, depth);
    case '"': {
        struct bytes ignored = {0};
        bool ok = parse_string(p, &ignored);
        free(ignored.data);
        return ok;
    }
    case 't': return skip_literal(p, "true");
    case 'f': return skip_literal(p, "false");
    case 'n': return skip_literal(p, "null");
    default:
        if (*p->at == '-' || (*p->at >= '0' && *p->at <= '9'))
            return skip_number(p);
        return fail(p, "expected a JSON value");
    }
}

/* ---- the data ----------------------------------------------------------- */

static bool is_name(const struct bytes *name, const char *expected) {
    size_t len = strlen(expected);
    return name->len == len && memcmp(name->data, expected, len) == 0;
}

/* Reads one member of the data object; the text goes to `text`. */
static bool parse_data_member(struct parser *p, struct bytes *name, struct bytes *text, bool *has_text) {
    skip_whitespace(p);
    const unsigned char *member = p->at;
    if (!parse_member_name(p, name))
        return false;
    if (!is_name(name, "text"))
        return skip_value(p, 1);
    if (*has_text)
        return fail_at(p, member, "duplicate field `text`");
    if (!next_is(p, '"'))
        return fail(p, "`text` must be a string");
    *has_text = true;
    return parse_string(p, text);
}

/* Reads the whole input as { "text": string, ... } into `text`. */
static bool parse_data(struct parser *p, struct bytes *text) {
    struct bytes name = {0};
    bool has_text = false;
    bool ok = true;
    skip_whitespace(p);
    if (!consume(p, '{'))
        return fail(p, "expected a JSON object");
    skip_whitespace(p);
    if (!consume(p, '}')) {
        do {
            ok = parse_data_member(p, &name, text, &has_text);
            skip_whitespace(p);
        } while (ok && consume(p, ','));
        if (ok && !consume(p, '}'))
            ok = fail(p, "expected `,` or `}` in an object");
    }
    free(name.data);
    if (!ok)
        return false;
    skip_whitespace(p);
    if (p->at != p->end)
        return fail(p, "unexpected characters after the JSON object");
    if (!has_text)
        return fail_at(p, NULL, "missing field `text`");
    return true;
}

/* ---- the checksum ------------------------------------------------------- */

/* CRC-32 as zlib, gzip and PNG compute it: the reflected polynomial
 * 0xEDB88320, starting from all ones and inverted at the end. Bit by bit,
 * as texts are small and a table would be one more thing to get right. */
static uint32_t crc32_of(const unsigned char *data, size_t len) {
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        crc ^= data[i];
        for (int bit = 0; bit < 8; bit++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static void report_bad_data(const struct parser *p) {
    fprintf(stderr, "the data is not what this handler expects: %s", p->error);
    if (p->error_at)
        fprintf(stderr, " (at byte %zu)", (size_t)(p->error_at - p->start));
    fputc('\n', stderr);
}

/* Checks the data and prints the line; returns the exit code. */
static int checksum(const struct bytes *input) {
    struct bytes text = {0};
    struct parser p = {.start = input->data, .at = input->data, .end = input->data + input->len};
    int code = 0;
    if (!parse_data(&p, &text)) {
        report_bad_data(&p);
        code = 1;
    } else {
        printf("length=%zu crc32=%08" PRIx32 "\n", text.len, crc32_of(text.data, text.len));
    }
    free(text.data);
    return code;
}

int main(void) {
    struct bytes input = {0};
    if (!read_all(stdin, &input)) {
        fputs("could not read the data from stdin\n", stderr);
        return 1;
    }
    int code = checksum(&input);
    free(input.data);
    if (fflush(stdout) != 0) {
        fputs("could not write to stdout\n", stderr);
        return 1;
    }
    return code;
}
