// The embedded files (bot/assets): every file under bot/assets/web/ is in the binary byte for byte,
// under its path, with the Content-Type of its extension and an ETag that follows its content; names
// that are not exactly an embedded path find nothing.
#include "bot/assets/assets.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace anju::assets {
namespace {

namespace fs = std::filesystem;

const fs::path kWeb = fs::path(ANJU_SOURCE_DIR) / "bot" / "assets" / "web";

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::string expected_type(const fs::path& path) {
    const auto ext = path.extension().string();
    if (ext == ".html") {
        return "text/html; charset=utf-8";
    }
    if (ext == ".js") {
        return "text/javascript; charset=utf-8";
    }
    if (ext == ".css") {
        return "text/css; charset=utf-8";
    }
    if (ext == ".svg") {
        return "image/svg+xml; charset=utf-8";
    }
    if (ext == ".png") {
        return "image/png";
    }
    if (ext == ".json") {
        return "application/json; charset=utf-8";
    }
    if (ext == ".ico") {
        return "image/x-icon";
    }
    return "";
}

TEST(Assets, EveryFileUnderWebIsEmbeddedByteForByte) {
    std::set<std::string> on_disk;
    for (const auto& entry : fs::recursive_directory_iterator(kWeb)) {
        if (!entry.is_regular_file()) {
            continue;
        }
        const auto name = fs::relative(entry.path(), kWeb).generic_string();
        on_disk.insert(name);
        SCOPED_TRACE(name);
        const auto* asset = find(name);
        ASSERT_NE(asset, nullptr);
        EXPECT_EQ(asset->body, read_file(entry.path()));
        if (const auto type = expected_type(entry.path()); !type.empty()) {
            EXPECT_EQ(asset->content_type, type);
        }
        // A strong ETag: a quoted hash.
        ASSERT_GE(asset->etag.size(), 18U);
        EXPECT_EQ(asset->etag.front(), '"');
        EXPECT_EQ(asset->etag.back(), '"');
        EXPECT_EQ(asset->etag.substr(1, asset->etag.size() - 2).find_first_not_of("0123456789abcdef"),
                  std::string_view::npos);
    }
    const auto listed = names();
    EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), on_disk);
    EXPECT_TRUE(std::is_sorted(listed.begin(), listed.end()));
    EXPECT_TRUE(on_disk.contains("console.html"));
    EXPECT_TRUE(on_disk.contains("console.js"));
    EXPECT_TRUE(on_disk.contains("console.css"));
}

TEST(Assets, TheETagFollowsTheContent) {
    // Different files have different tags; the tag does not depend on the name alone.
    std::set<std::string_view> tags;
    std::set<std::string_view> bodies;
    for (const auto name : names()) {
        const auto* asset = find(name);
        ASSERT_NE(asset, nullptr);
        if (bodies.insert(asset->body).second) {
            EXPECT_TRUE(tags.insert(asset->etag).second) << name;
        }
    }
}

TEST(Assets, OnlyExactNamesAreFound) {
    EXPECT_NE(find("console.html"), nullptr);
    for (const char* name : {"", "/console.html", "./console.html", "../console.html", "console.html/",
                             "Console.html", "console", "web/console.html"}) {
        EXPECT_EQ(find(name), nullptr) << name;
    }
    EXPECT_EQ(find(std::string_view("console.html\0", 13)), nullptr);
}

}  // namespace
}  // namespace anju::assets
