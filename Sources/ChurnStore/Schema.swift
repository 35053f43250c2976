/// The database layout and how to get there from any older version.
///
/// `PRAGMA user_version` holds the schema version. Migration `n` takes a database from version
/// `n - 1` to `n`; each runs in its own transaction together with the version bump, so a crash
/// leaves the file at a version that is either fully old or fully new. Add migrations at the end;
/// never edit a released one.
enum Schema {
    /// One migration: SQL, or SQL around a step of code (converting data).
    struct Migration: Sendable {
        var before: String
        var convert: (@Sendable (RunStore) throws -> Void)? = nil
        var after: String = ""
    }

    static let migrations: [Migration] = [Migration(before: 
        // 1: runs and their predictions.
        """
        CREATE TABLE runs (
            id                INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at        REAL    NOT NULL,              -- Unix time, seconds
            finished_at       REAL,
            status            TEXT    NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
            error             TEXT,
            input_path        TEXT    NOT NULL,
            input_name        TEXT    NOT NULL,              -- file name alone: runs of "the same file"
            input_bytes       INTEGER NOT NULL,
            input_fingerprint TEXT    NOT NULL,
            model_hash        TEXT    NOT NULL,
            model_path        TEXT    NOT NULL,
            rank_by           TEXT    NOT NULL,
            rows_scored       INTEGER,
            rows_rejected     INTEGER,
            summary_json      TEXT,
            first_prediction  INTEGER,                       -- predictions.id bounds of the run's rows
            last_prediction   INTEGER
        );
        CREATE INDEX runs_by_input ON runs (input_name, status, id);

        -- id: explicit INTEGER PRIMARY KEY so that VACUUM keeps it; a run's rows lie between its
        --     runs.first_prediction and runs.last_prediction, which is how a whole run is read or
        --     deleted without an index on run_id (one index fewer makes inserts about 30% faster).
        -- risk_level: 0 Low, 1 Medium, 2 High (ChurnCore.RiskLevel.rawValue).
        -- driver_n / impact_n: the n-th strongest driver's name and its log-odds contribution.
        CREATE TABLE predictions (
            id           INTEGER PRIMARY KEY,
            run_id       INTEGER NOT NULL,                   -- runs.id
            line         INTEGER NOT NULL,                   -- line in the input file, header = 1
            customer_id  TEXT    NOT NULL,
            probability  REAL    NOT NULL,
            risk_score   INTEGER NOT NULL,
            risk_level   INTEGER NOT NULL,
            health       INTEGER NOT NULL,
            driver_1     TEXT,
            impact_1     REAL,
            driver_2     TEXT,
            impact_2     REAL,
            driver_3     TEXT,
            impact_3     REAL,
            intervention TEXT    NOT NULL
        );
        -- One customer across runs (history).
        CREATE INDEX predictions_by_customer ON predictions (customer_id, run_id);
        -- The (run_id, risk_level) index, kept for High only: "who is High in run X" and "was this
        -- customer High in run Y" are answered from the index alone (risk_level is in it so that SQLite
        -- sees the index as covering), and only High rows pay for it.
        CREATE INDEX predictions_high_by_run ON predictions (run_id, customer_id, line, risk_level) WHERE risk_level = 2;

        -- For people reading the file with the sqlite3 shell.
        CREATE VIEW prediction_details AS
            SELECT p.*, CASE p.risk_level WHEN 0 THEN 'Low' WHEN 1 THEN 'Medium' ELSE 'High' END AS risk_level_name,
                   r.status AS run_status, r.input_name, datetime(r.started_at, 'unixepoch') AS run_started
            FROM predictions p JOIN runs r ON r.id = p.run_id;
        """),
        // 2: predictions as per-run column blocks with a hashed customer index (PredictionBlock,
        //    CustomerIndex); schema-1 rows of succeeded runs are converted, the rest dropped.
        Migration(before: """
        -- A run's driver names (kind 0) and interventions (kind 1): the codes its blocks store.
        CREATE TABLE run_strings (
            run_id INTEGER NOT NULL,
            kind   INTEGER NOT NULL,
            code   INTEGER NOT NULL,
            text   TEXT    NOT NULL,
            PRIMARY KEY (run_id, kind, code)
        ) WITHOUT ROWID;

        -- Up to RunStore.defaultBlockRows predictions of one run, column by column (PredictionBlock).
        -- block: 0, 1, … in input order; first_row: the run's row number of the block's first row.
        CREATE TABLE prediction_blocks (
            id           INTEGER PRIMARY KEY,
            run_id       INTEGER NOT NULL,
            block        INTEGER NOT NULL,
            first_row    INTEGER NOT NULL,
            row_count    INTEGER NOT NULL,
            first_line   INTEGER NOT NULL,
            low_count    INTEGER NOT NULL,
            medium_count INTEGER NOT NULL,
            high_count   INTEGER NOT NULL,
            scores       BLOB    NOT NULL,
            high_ids     BLOB    NOT NULL,
            ids          BLOB    NOT NULL,
            details      BLOB    NOT NULL
        );
        -- Covering for the per-level counts, so a page in input order is placed from the index alone.
        CREATE UNIQUE INDEX prediction_blocks_by_run
            ON prediction_blocks (run_id, block, row_count, low_count, medium_count, high_count);

        -- For each run, segment of 64 blocks and hash bucket: u32 entries (CustomerIndex).
        CREATE TABLE customer_index (
            id      INTEGER PRIMARY KEY,
            run_id  INTEGER NOT NULL,
            bucket  INTEGER NOT NULL,
            segment INTEGER NOT NULL,
            entries BLOB    NOT NULL
        );
        CREATE UNIQUE INDEX customer_index_by_run ON customer_index (run_id, bucket, segment);
        """, convert: SchemaOneConversion.convert, after: """
        DROP VIEW prediction_details;
        DROP TABLE predictions;
        ALTER TABLE runs DROP COLUMN first_prediction;
        ALTER TABLE runs DROP COLUMN last_prediction;
        """),
        // 3: per block, the intervention codes and each row's categorical feature codes
        //    (PredictionBlock) in a table of their own: a filter on them reads a few KB per block
        //    instead of walking the block row's overflow pages. Schema-2 blocks have no row here:
        //    readers fall back to `details` for interventions, and such runs have no category data.
        //    run_strings gains kinds 2 (feature names) and 3 (their levels).
        Migration(before: """
        CREATE TABLE prediction_codes (
            id         INTEGER PRIMARY KEY,
            run_id     INTEGER NOT NULL,
            block      INTEGER NOT NULL,                     -- prediction_blocks.block
            actions    BLOB    NOT NULL,
            categories BLOB                                  -- NULL: no category data
        );
        CREATE UNIQUE INDEX prediction_codes_by_run ON prediction_codes (run_id, block);
        """),
    ]

    static var currentVersion: Int { migrations.count }

    /// Brings the database to `currentVersion`; refuses a file written by a newer build.
    static func migrate(_ store: RunStore) throws {
        let db = store.db
        let version = Int(try db.scalarInt("PRAGMA user_version"))
        guard version <= currentVersion else {
            throw StoreError(operation: "migrate",
                             message: "schema version \(version) is newer than this build understands (\(currentVersion))",
                             path: db.path)
        }
        for target in stride(from: version + 1, through: currentVersion, by: 1) {
            // IMMEDIATE: two processes opening a new file at once must not both migrate it.
            try db.execute("BEGIN IMMEDIATE", "migrate to schema \(target)")
            do {
                // Re-check under the write lock: another connection may have migrated meanwhile.
                let now = Int(try db.scalarInt("PRAGMA user_version"))
                if now < target {
                    let m = migrations[target - 1]
                    try db.execute(m.before, "migrate to schema \(target)")
                    try m.convert?(store)
                    if !m.after.isEmpty { try db.execute(m.after, "migrate to schema \(target)") }
                    try db.execute("PRAGMA user_version = \(target)", "migrate to schema \(target)")
                }
                try db.execute("COMMIT", "migrate to schema \(target)")
            } catch {
                try? db.execute("ROLLBACK")
                throw error
            }
        }
    }
}
