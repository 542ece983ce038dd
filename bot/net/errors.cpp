#include "bot/net/errors.hpp"

namespace anju::net {

boost::system::error_code make_error_code(errc e) noexcept { return make_errc_code(e); }

}  // namespace anju::net

std::string_view anju::ErrcTraits<anju::net::errc>::message(anju::net::errc e) {
    using anju::net::errc;
    switch (e) {
        case errc::invalid_url:
            return "invalid URL";
        case errc::resolve_failed:
            return "host name could not be resolved";
        case errc::connection_refused:
            return "connection refused";
        case errc::connect_failed:
            return "could not connect";
        case errc::tls_failed:
            return "TLS handshake or certificate verification failed";
        case errc::timeout:
            return "request timed out";
        case errc::response_too_large:
            return "response too large";
        case errc::protocol_error:
            return "malformed or truncated HTTP response";
    }
    return "unknown network error";
}
