-- What silver could not use, kept with the reason: answers of an unknown shape or a value no
-- rule accepts (schema_error), answers for another date (wrong_date)
-- and rows that cannot be placed in an hour. Nothing is dropped silently.
CREATE TABLE IF NOT EXISTS silver.quarantine (
    month        TEXT NOT NULL,
    hour_key     TEXT NOT NULL,
    reason       TEXT NOT NULL,
    source_file  TEXT NOT NULL,     -- the bronze file, relative to the bronze root
    detail       TEXT               -- a snippet of the answer or of the row
);
