// The system's SQLite 3 (Debian libsqlite3-dev).
#include <sqlite3.h>

// SQLITE_TRANSIENT is a macro that casts -1 to a destructor function pointer;
// Swift imports neither the macro nor the cast, so the bind that needs SQLite
// to copy the text at once is wrapped here.
static inline int ocrspool_sqlite3_bind_text(
    sqlite3_stmt *statement, int index, const char *text, int length) {
    return sqlite3_bind_text(statement, index, text, length, SQLITE_TRANSIENT);
}

