#include "bot/net/http_client.hpp"

#include "bot/net/url.hpp"

#include <boost/algorithm/string/predicate.hpp>

namespace anju::net {

std::optional<std::string_view> find_header(const Headers& headers, std::string_view name) {
    for (const auto& [key, value] : headers) {
        if (boost::algorithm::iequals(key, name)) {
            return std::string_view(value);
        }
    }
    return std::nullopt;
}

std::string redact_url(std::string_view url) {
    const auto parsed = parse_url(url);
    if (!parsed) {
        return "<invalid url>";
    }
    auto path = parsed->target.substr(0, parsed->target.find('?'));
    return parsed->scheme + "://" + parsed->authority() + path;
}

}  // namespace anju::net
