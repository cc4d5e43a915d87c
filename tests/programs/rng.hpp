// The in-guest fuzzers' random numbers (fuzz.cpp, fuzzproc.cpp): xorshift64, so that a seed
// gives the same numbers on every arch.
#pragma once

#include <abi/abi.hpp>

struct Rng {
    abi::u64 s; ///< never 0
    abi::u64 next() {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        return s;
    }
    abi::u64 below(abi::u64 n) { return n ? next() % n : 0; }
    bool chance(unsigned percent) { return below(100) < percent; }
};
