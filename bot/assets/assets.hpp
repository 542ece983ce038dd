// Files compiled into the binary from bot/assets/web/ (the admin console, the web chat page), looked
// up by their path under web/. The bytes are generated at build time by embed_asset.cmake.
#pragma once

#include <string_view>
#include <vector>

namespace anju::assets {

struct Asset {
    std::string_view body;          // the file's bytes
    std::string_view content_type;  // from the extension, e.g. "text/html; charset=utf-8"
    std::string_view etag;          // a strong ETag, quotes included: a hash of the content
};

// The asset at `name`, a path under web/ with '/' separators ("console.html", "console/app.js"), or
// nullptr if there is none. Exact match only: no normalisation, so "../x" or "/console.html" are
// never found. Thread-safe; the returned object lives for the whole program.
const Asset* find(std::string_view name);

// Every embedded name, sorted. Thread-safe.
std::vector<std::string_view> names();

}  // namespace anju::assets
