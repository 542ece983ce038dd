#include "bot/net/tls.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace anju::net {
namespace {

[[noreturn]] void fail(const std::string& what, const boost::system::error_code& ec) {
    throw std::runtime_error(what + ": " + ec.message());
}

// Options shared by both sides. The version floor is set with SSL_CTX_set_min_proto_version, which
// OpenSSL documents in place of the deprecated no_tlsv1/no_tlsv1_1 option flags. Compression is off
// (CRIME).
void harden(ssl::context& ctx, const char* side) {
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_compression);
    if (SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION) != 1) {
        throw std::runtime_error(std::string("cannot require TLS 1.2 for the ") + side + " context");
    }
}

// OpenSSL fills a certificate's cached extension data (key identifiers, flags) lazily on first use,
// and two handshakes doing that for the same trust anchor at once race: one thread replaces what the
// other is reading (https://github.com/openssl/openssl/issues/32609, seen here with TSan). Filling it
// once now, before the context is shared, leaves handshakes only reading. Anchors that the system's
// hashed certificate directory yields later are still filled lazily; Debian's default CA bundle file is
// loaded eagerly and covers the same roots.
void precompute_anchor_extensions(ssl::context& ctx) {
    X509_STORE* store = SSL_CTX_get_cert_store(ctx.native_handle());
    STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
    for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i) {
        if (X509* cert = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objects, i)); cert != nullptr) {
            X509_check_purpose(cert, -1, 0);
        }
    }
}

}  // namespace

ssl::context make_client_tls_context(const TlsClientOptions& options) {
    ssl::context ctx(ssl::context::tls_client);
    harden(ctx, "client");
    ctx.set_verify_mode(ssl::verify_peer);
    boost::system::error_code ec;
    if (options.use_system_roots) {
        ctx.set_default_verify_paths(ec);
        if (ec) {
            fail("cannot load the system CA certificates", ec);
        }
    }
    if (!options.ca_file.empty()) {
        ctx.load_verify_file(options.ca_file, ec);
        if (ec) {
            fail("cannot load CA file '" + options.ca_file + "'", ec);
        }
    }
    if (!options.ca_pem.empty()) {
        ctx.add_certificate_authority(asio::buffer(options.ca_pem), ec);
        if (ec) {
            fail("cannot load the CA certificates given as PEM text", ec);
        }
    }
    precompute_anchor_extensions(ctx);
    return ctx;
}

ssl::context make_server_tls_context(std::string_view cert_chain_pem, std::string_view private_key_pem) {
    ssl::context ctx(ssl::context::tls_server);
    harden(ctx, "server");
    boost::system::error_code ec;
    ctx.use_certificate_chain(asio::buffer(cert_chain_pem), ec);
    if (ec) {
        fail("cannot load the server certificate chain", ec);
    }
    ctx.use_private_key(asio::buffer(private_key_pem), ssl::context::pem, ec);
    if (ec) {
        fail("cannot load the server private key", ec);
    }
    if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
        throw std::runtime_error("the server private key does not match its certificate");
    }
    return ctx;
}

}  // namespace anju::net
