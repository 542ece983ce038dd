// anju's schema history. Append new steps at the end; never edit a step that has shipped, since
// databases in the field have already applied it.
#include "store/store.hpp"

namespace anju::store {
namespace {

constexpr Migration kMigrations[] = {
    {1, "meta",
     R"sql(
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('created_at', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
)sql"},
};

}  // namespace

std::span<const Migration> builtin_migrations() { return kMigrations; }

}  // namespace anju::store
