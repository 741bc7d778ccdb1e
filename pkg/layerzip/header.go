package layerzip

import "encoding/binary"

// Zip record layouts (PKWARE APPNOTE 6.3.x, sections 4.3.7, 4.3.12,
// 4.3.14-4.3.16, 4.5.3). Everything here is a pure function of the entry
// metadata so that a local header is identical wherever the entry lands,
// which is what lets fragments be concatenated.
const (
	sigLocal    = 0x04034b50
	sigCentral  = 0x02014b50
	sigEnd      = 0x06054b50
	sigEnd64    = 0x06064b50
	sigLocator  = 0x07064b50
	max16       = 0xFFFF
	max32       = 0xFFFFFFFF
	zip64Tag    = 0x0001
	creatorUnix = 3

	versionDefault = 20 // deflate, directories
	versionZip64   = 45

	methodStore   = 0
	methodDeflate = 8
	flagUTF8      = 1 << 11

	localFixedLen   = 30
	centralFixedLen = 46
	msdosDirAttr    = 0x10
)

// zip64Sizes reports whether the entry's sizes need the zip64 extra field.
// The rule is per entry and position independent: either size >= 0xFFFFFFFF.
func (e *IndexEntry) zip64Sizes() bool {
	return e.CompressedSize >= max32 || e.UncompressedSize >= max32
}

// localLen is the length of the entry's local header.
func (e *IndexEntry) localLen() uint64 {
	n := uint64(localFixedLen + len(e.Name))
	if e.zip64Sizes() {
		n += 4 + 16
	}
	return n
}

// appendLocal appends the local file header. Sizes and CRC are always known
// up front, so there is never a data descriptor. A zip64 local header
// carries both sizes in the extra field, as APPNOTE 4.5.3 requires.
func appendLocal(b []byte, e *IndexEntry) []byte {
	z := e.zip64Sizes()
	ver := uint16(versionDefault)
	if z {
		ver = versionZip64
	}
	b = le32(b, sigLocal)
	b = le16(b, ver)
	b = appendShared(b, e, z)
	if z {
		b = le16(b, 20)
	} else {
		b = le16(b, 0)
	}
	b = append(b, e.Name...)
	if z {
		b = le16(b, zip64Tag)
		b = le16(b, 16)
		b = le64(b, e.UncompressedSize)
		b = le64(b, e.CompressedSize)
	}
	return b
}

// appendShared appends the fields local and central headers share, from
// the flags through the name length; zip64 puts 0xFFFFFFFF in the sizes.
func appendShared(b []byte, e *IndexEntry, zip64 bool) []byte {
	b = le16(b, e.Flags)
	b = le16(b, e.Method)
	b = le16(b, e.ModTime)
	b = le16(b, e.ModDate)
	b = le32(b, e.CRC32)
	if zip64 {
		b = le32(b, max32)
		b = le32(b, max32)
	} else {
		b = le32(b, uint32(e.CompressedSize))
		b = le32(b, uint32(e.UncompressedSize))
	}
	return le16(b, uint16(len(e.Name)))
}

// appendCentral appends the central directory header for the entry whose
// local header starts at offset. The zip64 extra field holds only the values
// whose 32-bit fields are 0xFFFFFFFF, in APPNOTE order (uncompressed size,
// compressed size, offset).
func appendCentral(b []byte, e *IndexEntry, offset uint64) []byte {
	zs := e.zip64Sizes()
	zo := offset >= max32
	var extra []byte
	if zs {
		extra = le64(extra, e.UncompressedSize)
		extra = le64(extra, e.CompressedSize)
	}
	if zo {
		extra = le64(extra, offset)
	}
	ver := uint16(versionDefault)
	if len(extra) > 0 {
		ver = versionZip64
	}
	attrs := e.Mode << 16
	if e.Mode&0o170000 == sIFDIR {
		attrs |= msdosDirAttr
	}
	b = le32(b, sigCentral)
	b = le16(b, creatorUnix<<8|ver)
	b = le16(b, ver)
	b = appendShared(b, e, zs)
	if len(extra) > 0 {
		b = le16(b, uint16(4+len(extra)))
	} else {
		b = le16(b, 0)
	}
	b = le16(b, 0) // comment length
	b = le16(b, 0) // disk number start
	b = le16(b, 0) // internal attributes
	b = le32(b, attrs)
	if zo {
		b = le32(b, max32)
	} else {
		b = le32(b, uint32(offset))
	}
	b = append(b, e.Name...)
	if len(extra) > 0 {
		b = le16(b, zip64Tag)
		b = le16(b, uint16(len(extra)))
		b = append(b, extra...)
	}
	return b
}

// appendEnd appends the end of central directory record, preceded by the
// zip64 end record and locator when the entry count, the directory size or
// its offset does not fit. In that case every field of the classic record
// is set to its all-ones sentinel so that any reader looks for zip64.
func appendEnd(b []byte, count, cdSize, cdOffset uint64) []byte {
	count16, size32, off32 := uint16(count), uint32(cdSize), uint32(cdOffset)
	if count >= max16 || cdSize >= max32 || cdOffset >= max32 {
		end64 := cdOffset + cdSize
		b = le32(b, sigEnd64)
		b = le64(b, 44) // size of the rest of this record
		b = le16(b, creatorUnix<<8|versionZip64)
		b = le16(b, versionZip64)
		b = le32(b, 0) // this disk
		b = le32(b, 0) // disk with the central directory
		b = le64(b, count)
		b = le64(b, count)
		b = le64(b, cdSize)
		b = le64(b, cdOffset)
		b = le32(b, sigLocator)
		b = le32(b, 0) // disk with the zip64 end record
		b = le64(b, end64)
		b = le32(b, 1) // total disks
		count16, size32, off32 = max16, max32, max32
	}
	b = le32(b, sigEnd)
	b = le16(b, 0) // this disk
	b = le16(b, 0) // disk with the central directory
	b = le16(b, count16)
	b = le16(b, count16)
	b = le32(b, size32)
	b = le32(b, off32)
	b = le16(b, 0) // comment length
	return b
}

func le16(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }
func le32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }
func le64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }
