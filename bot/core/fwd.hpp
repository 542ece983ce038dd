// Namespace aliases for Boost.Asio used across anju. Beast, HTTP and SSL aliases live in
// bot/net/fwd.hpp, because only anju::net and the layers above it may use them.
#pragma once

namespace boost::asio {}

namespace anju {
namespace asio = boost::asio;
}  // namespace anju
