// Namespace aliases for Asio, Beast, HTTP and SSL, for anju::net and the layers above it.
// Never `using namespace` in a header.
#pragma once

#include "bot/core/fwd.hpp"

namespace boost::beast::http {}
namespace boost::asio::ssl {}

namespace anju {
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
}  // namespace anju
