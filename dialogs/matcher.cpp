#include "dialogs/matcher.hpp"

#include <algorithm>
#include <deque>
#include <stdexcept>

namespace anju::dialogs {

std::int32_t Matcher::child(std::int32_t node, unsigned char byte) const {
    const auto& next = nodes_[static_cast<std::size_t>(node)].next;
    const auto it = std::lower_bound(next.begin(), next.end(), byte,
                                     [](const auto& edge, unsigned char b) { return edge.first < b; });
    return it != next.end() && it->first == byte ? it->second : -1;
}

std::uint32_t Matcher::add(std::string_view pattern) {
    if (pattern.empty()) {
        throw std::invalid_argument("empty pattern");
    }
    if (const auto it = ids_.find(std::string(pattern)); it != ids_.end()) {
        return it->second;
    }
    std::int32_t node = 0;
    for (const char ch : pattern) {
        const auto byte = static_cast<unsigned char>(ch);
        std::int32_t next = child(node, byte);
        if (next < 0) {
            next = static_cast<std::int32_t>(nodes_.size());
            nodes_.emplace_back();
            auto& edges = nodes_[static_cast<std::size_t>(node)].next;
            const auto at =
                std::lower_bound(edges.begin(), edges.end(), byte,
                                 [](const auto& edge, unsigned char b) { return edge.first < b; });
            edges.insert(at, {byte, next});
        }
        node = next;
    }
    const auto id = static_cast<std::uint32_t>(lengths_.size());
    nodes_[static_cast<std::size_t>(node)].output = static_cast<std::int32_t>(id);
    lengths_.push_back(pattern.size());
    texts_.emplace_back(pattern);
    ids_.emplace(std::string(pattern), id);
    return id;
}

void Matcher::build() {
    std::deque<std::int32_t> queue;
    for (const auto& [byte, next] : nodes_[0].next) {
        nodes_[static_cast<std::size_t>(next)].fail = 0;
        queue.push_back(next);
    }
    while (!queue.empty()) {
        const auto node = queue.front();
        queue.pop_front();
        const auto edges = nodes_[static_cast<std::size_t>(node)].next;
        for (const auto& [byte, next] : edges) {
            std::int32_t f = nodes_[static_cast<std::size_t>(node)].fail;
            while (f != 0 && child(f, byte) < 0) {
                f = nodes_[static_cast<std::size_t>(f)].fail;
            }
            const auto target = child(f, byte);
            auto& n = nodes_[static_cast<std::size_t>(next)];
            n.fail = target >= 0 && target != next ? target : 0;
            const auto& fail_node = nodes_[static_cast<std::size_t>(n.fail)];
            n.dictionary = fail_node.output >= 0 ? n.fail : fail_node.dictionary;
            queue.push_back(next);
        }
    }
}

std::vector<Matcher::Match> Matcher::find_all(std::string_view text) const {
    std::vector<Match> matches;
    std::int32_t node = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        while (node != 0 && child(node, byte) < 0) {
            node = nodes_[static_cast<std::size_t>(node)].fail;
        }
        const auto next = child(node, byte);
        node = next >= 0 ? next : 0;
        for (std::int32_t out = nodes_[static_cast<std::size_t>(node)].output >= 0
                                    ? node
                                    : nodes_[static_cast<std::size_t>(node)].dictionary;
             out >= 0; out = nodes_[static_cast<std::size_t>(out)].dictionary) {
            const auto id = static_cast<std::uint32_t>(nodes_[static_cast<std::size_t>(out)].output);
            matches.push_back({i + 1 - lengths_[id], i + 1, id});
        }
    }
    return matches;
}

}  // namespace anju::dialogs
