#include "bot/net/beast_http_client.hpp"

#include "bot/core/log.hpp"
#include "bot/net/errors.hpp"
#include "bot/net/url.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/ssl/verify_mode.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

namespace anju::net {
namespace {

using namespace asio::experimental::awaitable_operators;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using Endpoints = std::vector<tcp::endpoint>;
using ResolveChannel = asio::experimental::concurrent_channel<void(boost::system::error_code, Endpoints)>;
using Request = http::request<http::string_body>;

const log::Logger client_log{"http_client"};

// Platform APIs answer with a few headers; 64 KiB leaves room for long Set-Cookie or CSP lines
// while still bounding memory (Beast's default is 8 KiB).
constexpr std::uint32_t kHeaderLimit = 64 * 1024;

// Why a request failed: the errc the caller gets and, for the log only, the underlying error.
struct Failure {
    errc code = errc::protocol_error;
    boost::system::error_code cause;
    const char* stage = "";
};

// The request's single deadline. Every stage gets what is left of it.
class Deadline {
public:
    explicit Deadline(std::chrono::milliseconds timeout) : at_(SteadyClock::now() + timeout) {}

    SteadyClock::time_point at() const { return at_; }
    bool passed() const { return SteadyClock::now() >= at_; }
    SteadyClock::duration remaining() const {
        const auto left = at_ - SteadyClock::now();
        return left > SteadyClock::duration::zero() ? left : SteadyClock::duration::zero();
    }

private:
    SteadyClock::time_point at_;
};

Failure timed_out(const char* stage) { return {errc::timeout, beast::error::timeout, stage}; }

// A failed stage is a timeout if the stream's timer fired or the deadline has passed meanwhile
// (an SSL or parser error can be the visible symptom of the timer closing the socket).
Failure classify(const char* stage, errc code, const boost::system::error_code& ec,
                 const Deadline& deadline) {
    if (ec == beast::error::timeout || deadline.passed()) {
        return {errc::timeout, ec, stage};
    }
    return {code, ec, stage};
}

std::optional<http::verb> to_verb(std::string_view method) {
    // Methods are case-sensitive (RFC 9110 §9.1); only the ones the platform APIs need.
    if (method == "GET") {
        return http::verb::get;
    }
    if (method == "POST") {
        return http::verb::post;
    }
    if (method == "PUT") {
        return http::verb::put;
    }
    if (method == "DELETE") {
        return http::verb::delete_;
    }
    if (method == "HEAD") {
        return http::verb::head;
    }
    if (method == "PATCH") {
        return http::verb::patch;
    }
    return std::nullopt;
}

// Beast 1.81 writes header names and values verbatim, so a value carrying CR or LF (say, copied from
// a platform payload) would inject headers. Such requests are refused before connecting.
bool valid_headers(const Headers& headers) {
    for (const auto& [name, value] : headers) {
        if (name.empty() || name.find_first_of(" \t\r\n:") != std::string::npos ||
            value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
            return false;
        }
    }
    return true;
}

bool is_ip_literal(const std::string& host) {
    boost::system::error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

// The Host header: the authority without the scheme's default port (RFC 9110 §7.2).
std::string host_header(const Url& url) {
    const std::uint16_t default_port = url.tls() ? 443 : 80;
    if (url.port != default_port) {
        return url.authority();
    }
    return url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
}

Request build_request(HttpRequest& request, http::verb verb, const Url& url, const std::string& user_agent) {
    Request message{verb, url.target, 11};
    for (const auto& [name, value] : request.headers) {
        message.insert(name, value);
    }
    if (!find_header(request.headers, "Host")) {
        message.set(http::field::host, host_header(url));
    }
    if (!find_header(request.headers, "User-Agent")) {
        message.set(http::field::user_agent, user_agent);
    }
    if (!find_header(request.headers, "Connection")) {
        // One connection per request for now (RFC 9112 §9.6: a client that will not reuse the
        // connection says so). Drop this once connections are pooled.
        message.keep_alive(false);
    }
    message.body() = std::move(request.body);
    message.prepare_payload();
    return message;
}

// Runs one lookup and hands the outcome to whoever still listens on `channel`.
asio::awaitable<void> resolve_into(std::shared_ptr<ResolveChannel> channel, std::string host,
                                   std::string service) {
    tcp::resolver resolver(channel->get_executor());
    auto [ec, results] = co_await resolver.async_resolve(host, service, asio::as_tuple(asio::use_awaitable));
    Endpoints endpoints;
    for (const auto& entry : results) {
        endpoints.push_back(entry.endpoint());
    }
    // The buffer holds one value, so this never blocks; if the requester gave up, the value is
    // dropped together with the channel.
    channel->try_send(ec, std::move(endpoints));
}

// Asio runs getaddrinfo on a private thread and cannot interrupt it: cancelling async_resolve only
// takes effect once the lookup returns, and `resolve || timer` would wait for that. So the lookup
// runs as its own task that reports through a channel, and the request races the channel against
// its deadline; on timeout the task finishes in the background and its answer is discarded.
asio::awaitable<std::optional<Failure>> resolve(asio::any_io_executor ex, const Url& url,
                                                const Deadline& deadline, Endpoints& endpoints) {
    boost::system::error_code parse_ec;
    const auto address = asio::ip::make_address(url.host, parse_ec);
    if (!parse_ec) {
        endpoints.emplace_back(address, url.port);
        co_return std::nullopt;
    }
    if (deadline.passed()) {
        co_return timed_out("resolve");
    }
    auto channel = std::make_shared<ResolveChannel>(ex, 1);
    asio::co_spawn(ex, resolve_into(channel, url.host, std::to_string(url.port)),
                   log::LogFailure(client_log, "name lookup task"));
    asio::steady_timer timer(ex, deadline.at());
    auto receive = channel->async_receive(asio::as_tuple(asio::use_awaitable));
    auto expire = timer.async_wait(asio::as_tuple(asio::use_awaitable));
    auto race = std::move(receive) || std::move(expire);
    auto outcome = co_await std::move(race);
    if (outcome.index() == 1) {
        co_return timed_out("resolve");
    }
    auto [ec, found] = std::get<0>(std::move(outcome));
    if (ec || found.empty()) {
        co_return classify("resolve", errc::resolve_failed, ec, deadline);
    }
    endpoints = std::move(found);
    co_return std::nullopt;
}

// Tries each address in turn, as asio::async_connect does, but remembers whether every one of them
// refused: that is the only case reported as connection_refused.
asio::awaitable<std::optional<Failure>> connect(PlainStream& stream, const Endpoints& endpoints,
                                                const Deadline& deadline) {
    bool all_refused = true;
    boost::system::error_code last_error;
    for (const auto& endpoint : endpoints) {
        if (deadline.passed()) {
            co_return timed_out("connect");
        }
        stream.expires_after(deadline.remaining());
        auto [ec] = co_await stream.async_connect(endpoint, asio::as_tuple(asio::use_awaitable));
        if (!ec) {
            co_return std::nullopt;
        }
        if (ec == beast::error::timeout) {
            co_return timed_out("connect");
        }
        all_refused = all_refused && ec == asio::error::connection_refused;
        last_error = ec;
        // The next address may be of the other family, which needs a fresh socket.
        stream.close();
    }
    co_return classify("connect", all_refused ? errc::connection_refused : errc::connect_failed, last_error,
                       deadline);
}

// SSL_set_tlsext_host_name is a macro with a C-style cast; this is its expansion, minus the cast
// (SSL_ctrl takes a non-const pointer but only copies the name).
bool set_sni(TlsStream& stream, const std::string& host) {
    return SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                    const_cast<char*>(host.c_str())) == 1;
}

asio::awaitable<std::optional<Failure>> handshake(TlsStream& stream, const std::string& host,
                                                  const Deadline& deadline) {
    // SNI carries names only (RFC 6066 §3 forbids IP literals in server_name).
    if (!is_ip_literal(host) && !set_sni(stream, host)) {
        co_return Failure{errc::tls_failed, {}, "tls_sni"};
    }
    boost::system::error_code setup_ec;
    stream.set_verify_mode(ssl::verify_peer, setup_ec);
    if (!setup_ec) {
        stream.set_verify_callback(ssl::host_name_verification(host), setup_ec);
    }
    if (setup_ec) {
        co_return Failure{errc::tls_failed, setup_ec, "tls_setup"};
    }
    if (deadline.passed()) {
        co_return timed_out("tls_handshake");
    }
    beast::get_lowest_layer(stream).expires_after(deadline.remaining());
    auto [ec] =
        co_await stream.async_handshake(ssl::stream_base::client, asio::as_tuple(asio::use_awaitable));
    if (ec) {
        co_return classify("tls_handshake", errc::tls_failed, ec, deadline);
    }
    co_return std::nullopt;
}

template <class Stream>
asio::awaitable<std::optional<Failure>> exchange(Stream& stream, const Request& message, std::size_t max_body,
                                                 const Deadline& deadline, HttpResponse& response) {
    auto& lowest = beast::get_lowest_layer(stream);
    if (deadline.passed()) {
        co_return timed_out("write");
    }
    lowest.expires_after(deadline.remaining());
    auto [write_ec, written] =
        co_await http::async_write(stream, message, asio::as_tuple(asio::use_awaitable));
    if (write_ec) {
        co_return classify("write", errc::protocol_error, write_ec, deadline);
    }

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(max_body);
    parser.header_limit(kHeaderLimit);
    // A HEAD response announces a Content-Length but carries no body.
    parser.skip(message.method() == http::verb::head);
    if (deadline.passed()) {
        co_return timed_out("read");
    }
    lowest.expires_after(deadline.remaining());
    auto [read_ec, read] =
        co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (read_ec == http::error::body_limit || read_ec == http::error::header_limit) {
        co_return Failure{errc::response_too_large, read_ec, "read"};
    }
    if (read_ec) {
        co_return classify("read", errc::protocol_error, read_ec, deadline);
    }
    auto& reply = parser.get();
    response.status = static_cast<int>(reply.result_int());
    for (const auto& field : reply) {
        response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    response.body = std::move(reply.body());
    co_return std::nullopt;
}

void close(PlainStream& stream) {
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
}

// No TLS close_notify exchange: the response has been read to the end of its framing
// (Content-Length, chunked or, for HEAD, headers only), so a truncation attack cannot shorten what we
// return, and async_shutdown would cost a round trip waiting for the peer's close_notify, which many
// servers never send (the wait would end in ssl::error::stream_truncated, an expected outcome here,
// not an error). The server sees our plain TCP close, which servers treat the same way.
// Bodies delimited only by the peer closing are still checked: a missing close_notify there surfaces
// from the read as stream_truncated and becomes protocol_error.
void close(TlsStream& stream) { close(beast::get_lowest_layer(stream)); }

// One request, start to finish, on `ex` (a strand of its own, see BeastHttpClient::send).
asio::awaitable<boost::system::result<HttpResponse>> perform(asio::any_io_executor ex, ssl::context& tls,
                                                             const BeastHttpClientOptions& options,
                                                             HttpRequest request) {
    const auto started = SteadyClock::now();
    const Deadline deadline(request.timeout);
    const auto url = parse_url(request.url);
    const auto verb = to_verb(request.method);
    // errc has no separate code for a malformed request; invalid_url covers everything refused
    // before connecting.
    if (!url || !verb || !valid_headers(request.headers)) {
        ANJU_LOG_WARN(client_log) << "request refused: bad URL, method or header"
                                  << kv("method", request.method) << kv("url", redact_url(request.url));
        co_return make_error_code(errc::invalid_url);
    }
    const auto message = build_request(request, *verb, *url, options.user_agent);

    // Open (resolve, connect, handshake), exchange, close: a per-host pool would replace the first and
    // last steps.
    HttpResponse response;
    Endpoints endpoints;
    auto failure = co_await resolve(ex, *url, deadline, endpoints);
    if (!failure && url->tls()) {
        TlsStream stream(ex, tls);
        failure = co_await connect(beast::get_lowest_layer(stream), endpoints, deadline);
        if (!failure) {
            failure = co_await handshake(stream, url->host, deadline);
        }
        if (!failure) {
            failure = co_await exchange(stream, message, options.max_response_bytes, deadline, response);
        }
        close(stream);
    } else if (!failure) {
        PlainStream stream(ex);
        failure = co_await connect(stream, endpoints, deadline);
        if (!failure) {
            failure = co_await exchange(stream, message, options.max_response_bytes, deadline, response);
        }
        close(stream);
    }

    const auto elapsed_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started).count();
    if (failure) {
        ANJU_LOG_WARN(client_log) << "request failed" << kv("method", request.method)
                                  << kv("url", redact_url(request.url)) << kv("stage", failure->stage)
                                  << kv("error", make_error_code(failure->code).message())
                                  << kv("cause_category", failure->cause.category().name())
                                  << kv("cause_value", failure->cause.value())
                                  << kv("cause", failure->cause.message()) << kv("ms", elapsed_ms);
        co_return make_error_code(failure->code);
    }
    ANJU_LOG_DEBUG(client_log) << "request done" << kv("method", request.method)
                               << kv("url", redact_url(request.url)) << kv("status", response.status)
                               << kv("ms", elapsed_ms);
    co_return std::move(response);
}

}  // namespace

std::string default_user_agent() { return "anju/" ANJU_VERSION; }

BeastHttpClient::BeastHttpClient(asio::any_io_executor ex, ssl::context& tls, BeastHttpClientOptions options)
    : ex_(std::move(ex)), tls_(tls), options_(std::move(options)) {}

asio::awaitable<boost::system::result<HttpResponse>> BeastHttpClient::send(HttpRequest request) {
    // Each request runs on a strand of its own. Beast's tcp_stream runs its timeout handler on the
    // stream's executor, which must serialise with the coroutine driving the stream; a private strand
    // guarantees that whatever executor, strand or thread count the caller has. The caller resumes on
    // its own executor afterwards.
    auto strand = asio::make_strand(ex_);
    auto work = perform(strand, tls_, options_, std::move(request));
    auto result = co_await asio::co_spawn(strand, std::move(work), asio::use_awaitable);
    co_return result;
}

}  // namespace anju::net
