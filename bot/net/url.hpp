// Small URL helpers: splitting absolute http(s) URLs for the client, and percent-decoding request
// paths and query strings for the server (WeChat's signature parameters arrive in the query).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace anju::net {

struct Url {
    std::string scheme;  // "http" or "https", lower case
    std::string host;    // name or address; IPv6 without brackets
    std::uint16_t port = 0;
    std::string target;  // path and query, at least "/"

    bool tls() const { return scheme == "https"; }
    // "host:port", with brackets around IPv6 addresses; the value of the Host header.
    std::string authority() const;
};

// Parses http://host[:port][/path][?query]. Rejects other schemes, user-info, empty hosts, bad
// ports and fragments-only oddities. Default ports are 80 and 443.
std::optional<Url> parse_url(std::string_view url);

// Decodes %XX escapes; with plus_as_space, '+' becomes ' ' (form encoding). nullopt on a bad escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space);

// Encodes everything but unreserved characters (RFC 3986) as %XX.
std::string percent_encode(std::string_view text);

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Splits "a=1&b=x%20y" into decoded pairs, in order. '+' is kept as '+', because WeChat sends
// base64 values (echostr, msg_signature) whose '+' must survive; a pair with a bad escape keeps its
// raw text. Never fails.
QueryParams parse_query(std::string_view query);

// The first value of a query parameter.
std::optional<std::string_view> find_param(const QueryParams& params, std::string_view name);

}  // namespace anju::net
