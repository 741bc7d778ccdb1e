package deflate

// Constants and code tables from RFC 1951, section 3.2.5.

const (
	minMatch   = 3     // shortest match DEFLATE can code
	maxMatch   = 258   // longest match DEFLATE can code
	windowSize = 32768 // size of the history window
	// maxDist is the farthest match we use. DEFLATE allows 32768, but we
	// stop one short so that a chain entry can never alias the slot of the
	// position being inserted (prev is indexed modulo windowSize).
	maxDist = windowSize - 1
	// tooFar: a length-3 match farther than this costs more bits than the
	// three literals it replaces, almost always.
	tooFar = 4096

	numLitLen   = 286 // literal/length alphabet in use (0..285)
	numDist     = 30  // distance alphabet in use (0..29)
	numCodeLen  = 19  // code-length alphabet
	endOfBlock  = 256
	maxCodeBits = 15 // longest literal/length or distance code
	maxCLBits   = 7  // longest code-length code
)

// lengthBase and lengthExtra describe the length codes 257..285
// (index 0..28).
var lengthBase = [29]uint16{
	3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
	35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
}

var lengthExtra = [29]uint8{
	0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
	3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
}

// distBase and distExtra describe the distance codes 0..29.
var distBase = [30]uint16{
	1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
	257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
}

var distExtra = [30]uint8{
	0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
	7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
}

// codeLenOrder is the order in which code-length code lengths are sent.
var codeLenOrder = [numCodeLen]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// lenCode maps length-3 (0..255) to its length code index (0..28).
var lenCode [256]uint8

// lenInfo packs, for each length-3, the length code index (bits 0..7),
// the number of extra bits (8..15) and the extra bits value (16..23).
var lenInfo [256]uint32

// distCodeLo maps dist-1 for dist-1 < 256; distCodeHi maps (dist-1)>>7
// for larger distances (every code from 16 on starts at a multiple of 128).
var (
	distCodeLo [256]uint8
	distCodeHi [256]uint8
)

// fixedLit and fixedDist are the fixed Huffman codes (RFC 1951 3.2.6) in
// the packed form used by the block writer.
var (
	fixedLitLens  [288]uint8
	fixedDistLens [30]uint8
	fixedLit      [288]uint32
	fixedDist     [30]uint32
)

func init() {
	for code := 0; code < 28; code++ {
		lo := int(lengthBase[code])
		hi := lo + 1<<lengthExtra[code]
		for l := lo; l < hi && l < maxMatch; l++ {
			lenCode[l-minMatch] = uint8(code)
		}
	}
	lenCode[maxMatch-minMatch] = 28
	for l := 0; l < 256; l++ {
		c := lenCode[l]
		lenInfo[l] = uint32(c) | uint32(lengthExtra[c])<<8 | (uint32(l+minMatch)-uint32(lengthBase[c]))<<16
	}
	for code := 0; code < 30; code++ {
		lo := int(distBase[code]) - 1
		hi := lo + 1<<distExtra[code]
		for d := lo; d < hi; d++ {
			if d < 256 {
				distCodeLo[d] = uint8(code)
			} else {
				distCodeHi[d>>7] = uint8(code)
			}
		}
	}
	for i := range fixedLitLens {
		switch {
		case i < 144:
			fixedLitLens[i] = 8
		case i < 256:
			fixedLitLens[i] = 9
		case i < 280:
			fixedLitLens[i] = 7
		default:
			fixedLitLens[i] = 8
		}
	}
	for i := range fixedDistLens {
		fixedDistLens[i] = 5
	}
	canonicalCodes(fixedLitLens[:], fixedLit[:])
	canonicalCodes(fixedDistLens[:], fixedDist[:])
}

// distCode returns the distance code of a distance minus one.
func distCode(d1 uint32) uint32 {
	if d1 < 256 {
		return uint32(distCodeLo[d1])
	}
	return uint32(distCodeHi[(d1>>7)&255])
}
