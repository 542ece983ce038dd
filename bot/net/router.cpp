#include "bot/net/router.hpp"

#include "bot/net/url.hpp"

#include <algorithm>
#include <stdexcept>

namespace anju::net {
namespace {

// "/a/b/" → {"a", "b", ""}; "/" → {""}.
std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> parts;
    if (!path.empty() && path.front() == '/') {
        path.remove_prefix(1);
    }
    while (true) {
        const auto slash = path.find('/');
        parts.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) {
            break;
        }
        path.remove_prefix(slash + 1);
    }
    return parts;
}

}  // namespace

Response make_response(http::status status, std::string body, std::string_view content_type) {
    Response res{status, 11};
    res.set(http::field::content_type, content_type);
    res.body() = std::move(body);
    return res;
}

std::string_view ServerRequest::param(std::string_view name) const {
    for (const auto& [key, value] : params) {
        if (key == name) {
            return value;
        }
    }
    return {};
}

void Router::add(http::verb method, std::string_view pattern, Handler handler) {
    if (pattern.empty() || pattern.front() != '/') {
        throw std::invalid_argument("route pattern must start with '/': " + std::string(pattern));
    }
    Route route{method, std::string(pattern), {}, std::move(handler), {}};
    const auto parts = split_path(pattern);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const auto part = parts[i];
        Segment seg;
        if (part.size() >= 2 && part.front() == '{' && part.back() == '}') {
            seg.param = true;
            seg.text = std::string(part.substr(1, part.size() - 2));
            if (seg.text.ends_with("...")) {
                seg.rest = true;
                seg.text.resize(seg.text.size() - 3);
                if (i + 1 != parts.size()) {
                    throw std::invalid_argument("{name...} must be the last segment: " +
                                                std::string(pattern));
                }
            }
            if (seg.text.empty()) {
                throw std::invalid_argument("unnamed parameter in route: " + std::string(pattern));
            }
        } else if (part.find_first_of("{}") != std::string_view::npos) {
            throw std::invalid_argument("braces must enclose a whole segment: " + std::string(pattern));
        } else {
            seg.text = std::string(part);
        }
        route.segments.push_back(std::move(seg));
    }
    for (const auto& r : routes_) {
        if (r.method == method && r.pattern == route.pattern) {
            throw std::invalid_argument("route added twice: " + std::string(pattern));
        }
    }
    routes_.push_back(std::move(route));
}

void Router::add_websocket(std::string_view pattern, WsHandler handler) {
    add(http::verb::get, pattern, Handler{});
    routes_.back().websocket = std::move(handler);
}

std::optional<PathParams> Router::match_segments(const Route& route,
                                                 const std::vector<std::string_view>& parts) {
    PathParams params;
    const auto& segs = route.segments;
    for (std::size_t i = 0; i < segs.size(); ++i) {
        const auto& seg = segs[i];
        if (seg.rest) {
            if (i >= parts.size()) {
                return std::nullopt;
            }
            std::string rest;
            for (std::size_t j = i; j < parts.size(); ++j) {
                auto decoded = percent_decode(parts[j], false);
                if (!decoded) {
                    return std::nullopt;
                }
                rest += (j == i ? "" : "/") + *decoded;
            }
            params.emplace_back(seg.text, std::move(rest));
            return params;
        }
        if (i >= parts.size()) {
            return std::nullopt;
        }
        if (seg.param) {
            auto decoded = percent_decode(parts[i], false);
            if (!decoded || decoded->empty()) {
                return std::nullopt;
            }
            params.emplace_back(seg.text, std::move(*decoded));
        } else if (seg.text != parts[i]) {
            return std::nullopt;
        }
    }
    if (parts.size() != segs.size()) {
        return std::nullopt;
    }
    return params;
}

Router::Match Router::match(http::verb method, std::string_view path) const {
    const auto parts = split_path(path);
    Match result;
    const Route* best = nullptr;
    PathParams best_params;
    int best_score = -1;
    for (const auto& route : routes_) {
        auto params = match_segments(route, parts);
        if (!params) {
            continue;
        }
        const bool method_ok =
            route.method == method || (method == http::verb::head && route.method == http::verb::get);
        if (!method_ok) {
            if (std::find(result.allowed.begin(), result.allowed.end(), route.method) ==
                result.allowed.end()) {
                result.allowed.push_back(route.method);
            }
            continue;
        }
        const int literals = static_cast<int>(std::count_if(route.segments.begin(), route.segments.end(),
                                                            [](const Segment& s) { return !s.param; }));
        // An exact method beats HEAD's fallback to GET; then more literal segments win.
        const int score = literals * 2 + (route.method == method ? 1 : 0);
        if (score > best_score) {
            best = &route;
            best_params = std::move(*params);
            best_score = score;
        }
    }
    if (best != nullptr) {
        result.outcome = Outcome::found;
        if (best->websocket) {
            result.websocket = &best->websocket;
        } else {
            result.handler = &best->handler;
        }
        result.route = best->pattern;
        result.params = std::move(best_params);
        result.allowed.clear();
    } else if (!result.allowed.empty()) {
        result.outcome = Outcome::method_not_allowed;
    }
    return result;
}

}  // namespace anju::net
