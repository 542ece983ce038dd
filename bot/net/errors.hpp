// Transport-level failures of anju::net (outbound HTTP client). Every HTTP status, 4xx and 5xx
// included, is a successful exchange; these codes are for when no response could be had.
#pragma once

#include "bot/core/error.hpp"

#include <boost/system/error_code.hpp>

#include <string_view>

namespace anju::net {

enum class errc {
    invalid_url = 1,     // not http(s)://host[:port][/path], or a bad port
    resolve_failed,      // DNS lookup failed
    connection_refused,  // every address answered with RST
    connect_failed,      // unreachable, or no address could be connected to
    tls_failed,          // handshake failed, certificate invalid or for another host
    timeout,             // the request's deadline passed
    response_too_large,  // the response exceeded the client's size limit
    protocol_error,      // malformed response, or the peer closed mid-response
};

boost::system::error_code make_error_code(errc e) noexcept;

}  // namespace anju::net

template <>
struct anju::ErrcTraits<anju::net::errc> {
    static constexpr const char* name = "anju.net";
    static std::string_view message(anju::net::errc e);
};

template <>
struct boost::system::is_error_code_enum<anju::net::errc> : std::true_type {};
