// The single translation unit that compiles Boost.Asio, Boost.Beast and Boost.JSON for the
// whole program (BOOST_*_SEPARATE_COMPILATION is set project-wide), which keeps every other
// file's build time down.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
