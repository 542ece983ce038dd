// TLS contexts for anju::net: the client context used by BeastHttpClient for outbound API calls
// (TLS 1.2+, peer verification against system roots and/or configured trust anchors) and a server
// context for loopback test servers.
#pragma once

#include "bot/net/fwd.hpp"

#include <boost/asio/ssl/context.hpp>

#include <string>
#include <string_view>

namespace anju::net {

struct TlsClientOptions {
    std::string ca_file;           // extra trust anchors: a PEM file with one or more CA certificates
    std::string ca_pem;            // extra trust anchors given inline as PEM text
    bool use_system_roots = true;  // also trust the system's default CA store
};

// A client context: TLS 1.2 or later, verify_peer, trusting the system roots (when asked) plus the
// configured CA file and PEM text. Host-name verification and SNI are per connection (see
// BeastHttpClient). Throws std::runtime_error naming the file or setting that could not be loaded;
// it is start-up configuration, not untrusted input. The returned context is used read-only and may
// be shared by any number of connections and threads.
ssl::context make_client_tls_context(const TlsClientOptions& options);

// A server context: TLS 1.2 or later, presenting `cert_chain_pem` (leaf first, then intermediates)
// with `private_key_pem`. Throws std::runtime_error if either cannot be loaded or they do not match.
ssl::context make_server_tls_context(std::string_view cert_chain_pem, std::string_view private_key_pem);

}  // namespace anju::net
