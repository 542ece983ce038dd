// Boost.Asio compiled once for the whole program (BOOST_ASIO_SEPARATE_COMPILATION is set for every
// target through anju_options). It lives in anju::core rather than anju::net because the Clock
// interface needs Asio timers and core is the bottom layer; the TLS and Beast parts, which only
// anju::net and above use, are compiled in bot/net/beast_impl.cpp.
#include <boost/asio/impl/src.hpp>
