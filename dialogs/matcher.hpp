// Multi-pattern search (Aho–Corasick over UTF-8 bytes): every lexicon term is found in one pass over
// a message, however many terms the lexicons hold. Build once, then search from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace anju::dialogs {

class Matcher {
public:
    struct Match {
        std::size_t begin = 0;  // byte offsets in the searched text
        std::size_t end = 0;
        std::uint32_t pattern = 0;
    };

    // Adds a pattern (non-empty) and returns its id; adding the same text again returns the same id.
    // Not after build().
    std::uint32_t add(std::string_view pattern);

    // Prepares the automaton. Call once after the last add().
    void build();

    // Every occurrence of every pattern, overlapping ones included, ordered by end then length.
    std::vector<Match> find_all(std::string_view text) const;

    std::size_t patterns() const { return lengths_.size(); }
    const std::string& pattern(std::uint32_t id) const { return texts_[id]; }

private:
    struct Node {
        std::vector<std::pair<unsigned char, std::int32_t>> next;  // sorted by byte
        std::int32_t fail = 0;
        std::int32_t output = -1;      // pattern ending here, or -1
        std::int32_t dictionary = -1;  // nearest node on the fail chain with an output
    };
    std::int32_t child(std::int32_t node, unsigned char byte) const;

    std::vector<Node> nodes_{Node{}};
    std::vector<std::size_t> lengths_;
    std::vector<std::string> texts_;
    std::unordered_map<std::string, std::uint32_t> ids_;
};

}  // namespace anju::dialogs
