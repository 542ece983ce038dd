// Asio's TLS layer and Beast compiled once for the whole program (see bot/core/asio_impl.cpp for
// Asio itself).
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
