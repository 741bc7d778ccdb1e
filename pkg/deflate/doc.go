// Package deflate is a raw DEFLATE (RFC 1951) compressor written for
// geolayer's deterministic zip archives of Python layers (shared
// libraries, Python sources, data). It aims at zlib-level-6-or-better
// output at a fraction of zlib's time, using only the standard library.
//
//	w, err := deflate.NewWriter(dst, 6) // levels 1..9
//	w.Write(data)                       // any number of times
//	err = w.Close()                     // final block; dst is not closed
//	w.Reset(next)                       // reuse all buffers for the next stream
//
// # Determinism
//
// The output depends only on the input bytes and the level: not on how
// the input is cut into Write calls, nor on timing, nor on the platform
// (all decisions use integer arithmetic). Input is buffered in a 256 KiB
// window and parsed only while at least 274 bytes of lookahead are
// buffered (or at Close), so every decision sees the same bytes whatever
// the Write sizes; blocks end where the symbol buffer fills, which
// depends only on the parse. Memory is fixed (about 1.3 MB per Writer),
// whatever the input size.
//
// # Algorithm
//
// Matching (match.go). Every position is entered in two hash tables:
// chains over a hash of the next 4 bytes (head4: 64 Ki heads, prev: a
// 32 Ki ring of 16-bit distances to the previous position with the same
// hash) and a single-entry table over a hash of the next 3 bytes (head3).
// The chains supply matches of 4 to 258 bytes within the 32 KiB window;
// the 3-byte table supplies length-3 matches, which are used only within
// 4096 bytes (farther ones cost more than the three literals). Chained
// candidates are checked with 4-byte loads at the current best length
// before being compared 8 bytes at a time (XOR and trailing zero count).
// Hashing 4 bytes keeps the chains short; the 3-byte table still finds
// the short matches that matter in machine code.
//
// Parsing (parse.go). Levels 1-3 are greedy: the longest match found is
// taken, and the inside of matches up to maxInsert bytes long is indexed.
// Levels 4-9 use lazy evaluation: a match is held back for one position
// and replaced by a literal if the next position has a longer match; the
// search stops at nice bytes, tries at most chain candidates (a quarter
// as many when the held-back match is at least good long), and is
// skipped when the held-back match is at least maxLazy long.
//
// Blocks (split.go, block.go, huffman.go). The parse is buffered as up to
// 65535 symbols (or 128 KiB of input). The buffer is cut into segments
// of 256 symbols and split recursively where the order-0 entropy of the
// two halves (plus a rough header cost) is lowest; a split is kept when
// the exact cost of the two halves, codes built, beats one block. Each
// block is then written as the cheapest of stored, fixed-Huffman and
// dynamic-Huffman by exact bit count. Dynamic codes are length-limited
// Huffman codes (15 bits; 7 for the code-length code; limiting by moving
// sibling leaves up and splitting a shallower leaf, which keeps the code
// complete), the code lengths run-length coded with symbols 16, 17 and
// 18. A stored last block is only written in whole 65535-byte blocks and
// its tail carried over, so incompressible input costs 5 bytes per
// 65535. Bits go out LSB first through a 64-bit accumulator (bitwriter.go).
//
// # Levels
//
// The table gives the parameters and, measured on geolayer's benchmark
// corpus (2481 files, 263 MB: Debian's x86_64 shared libraries and static
// archives, GCC's cc1/cc1plus/lto1 and the CPython 3.13 standard
// library), the sum of per-file sizes (each capped at the file's size:
// a file deflate does not shrink is stored) and the single-threaded CPU
// time relative to python's zlib level 6 (raw deflate, memLevel 8) run
// back to back on the same machine (TestMeasureCorpus; the times vary by
// about 10% on a loaded machine, the sizes are exact). Greedy levels
// index the inside of matches up to 4, 5 and 6 bytes long.
//
//	level parse  good lazy nice chain   corpus bytes  /zlib-6  CPU/zlib-6
//	  1   greedy    -    -    8     4   105,690,677   1.064     0.32
//	  2   greedy    -    -   16     8   103,847,122   1.045     0.35
//	  3   greedy    -    -   32    24   102,770,141   1.034     0.45
//	  4   lazy      4    4   16    16   100,190,266   1.008     0.51
//	  5   lazy      4    6   16    12    99,630,925   1.003     0.49
//	  6   lazy      4    8   32    16    99,074,597   0.997     0.47
//	  7   lazy      8   16   64    64    97,991,282   0.986     0.66
//	  8   lazy     16   64  258   512    97,539,089   0.982     1.13
//	  9   lazy     32  258  258  4096    97,430,367   0.981     2.97
//
// For reference, zlib: level 1 108,389,829 bytes (CPU 0.30), level 4
// 102,114,403 (0.46), level 5 100,202,842 (0.64), level 6 99,364,004
// (1.00), level 9 98,718,538 (3.39); Go's compress/flate level 6
// 102,090,782. Levels 4 to 6 take about the same time (0.47 to 0.60 of
// zlib level 6 over several runs): their cost is mostly indexing every
// position and coding the blocks, not the chain searches. Most of the
// gain over the other Go encoders comes from the 3-byte matches, most of
// the gain over zlib from block splitting (about 1.3% at level 6). Level
// 6, the archive writer's default, is smaller than zlib level 6 in about
// half of its time, a seventh of zlib level 9's; two workers took 4.2 s
// of wall time for the corpus where zlib level 9 took 52 s.
package deflate
