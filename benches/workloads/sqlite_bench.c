/* sqlite_bench.c — SQLite (amalgamation from the libsqlite3-sys crate) on an in-memory database.
 * Stresses: a large real program: ~1 MB of code, deep call chains, indirect calls through the
 * VFS and VDBE, br_table-heavy VDBE dispatch, malloc, memcpy, i64 arithmetic.
 * run(n): open ":memory:", create a table with an index, insert n rows in one transaction, then
 * an aggregate, an ORDER BY scan, n/10 index lookups, an UPDATE and a GROUP BY; returns a checksum
 * of every result value (0xffffffff on any SQLite error). */
#include <stdint.h>
#include <string.h>
#include "sqlite3.h"

static uint64_t h;
static void mix(uint64_t v) { h = (h ^ v) * 0x100000001b3ull; }

/* Run a statement to completion, folding every integer/text column of every row into h. */
static int query(sqlite3 *db, const char *sql, int64_t bind) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
    if (sqlite3_bind_parameter_count(st) > 0) sqlite3_bind_int64(st, 1, bind);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            if (sqlite3_column_type(st, c) == SQLITE_TEXT) {
                const unsigned char *s = sqlite3_column_text(st, c);
                for (; *s; s++) mix(*s);
            } else {
                mix((uint64_t)sqlite3_column_int64(st, c));
            }
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

__attribute__((export_name("run"))) uint32_t run(uint32_t n) {
    sqlite3 *db;
    sqlite3_stmt *ins;
    h = 0xcbf29ce484222325ull;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) return 0xffffffffu;
    int err = 0;
    err |= sqlite3_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, name TEXT, v REAL);"
                            "CREATE INDEX t_k ON t(k);", NULL, NULL, NULL);
    err |= sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    err |= sqlite3_prepare_v2(db, "INSERT INTO t(k, name, v) VALUES(?1, ?2, ?3)", -1, &ins, NULL);
    if (err) return 0xffffffffu;
    uint32_t x = 12345;
    for (uint32_t i = 0; i < n; i++) {
        char name[24];
        x = x * 1103515245u + 12345u;
        uint32_t k = (x >> 8) % (n + 1);
        /* name = "row-<k in hex>" without printf */
        memcpy(name, "row-", 4);
        int len = 4;
        for (int s = 28; s >= 0; s -= 4) name[len++] = "0123456789abcdef"[(k >> s) & 15];
        sqlite3_bind_int64(ins, 1, k);
        sqlite3_bind_text(ins, 2, name, len, SQLITE_TRANSIENT);
        sqlite3_bind_double(ins, 3, (double)(x & 0xffff) / 256.0);
        if (sqlite3_step(ins) != SQLITE_DONE) err = 1;
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    err |= sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    err |= query(db, "SELECT count(*), sum(k), min(k), max(k), CAST(sum(v) * 256 AS INTEGER) FROM t", 0);
    err |= query(db, "SELECT id, k, name FROM t ORDER BY name DESC, id LIMIT 200", 0);
    for (uint32_t i = 0; i < n / 10; i++)
        err |= query(db, "SELECT count(*), sum(id) FROM t WHERE k = ?1", (int64_t)(i * 7 % (n + 1)));
    err |= sqlite3_exec(db, "UPDATE t SET v = v * 2 + 1 WHERE k % 3 = 0", NULL, NULL, NULL);
    err |= query(db, "SELECT k % 10, count(*), CAST(total(v) AS INTEGER), max(name) FROM t GROUP BY 1 ORDER BY 1", 0);
    sqlite3_close(db);
    if (err) return 0xffffffffu;
    return (uint32_t)(h ^ (h >> 32));
}
