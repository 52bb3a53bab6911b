extension ImageProbe {
    /// The largest extent declared anywhere in a GIF: the logical screen and
    /// every frame's image descriptor.
    ///
    /// giflib allocates each frame at its declared size, so a 1x1 screen may
    /// hide a huge frame; every descriptor is checked, walking the block
    /// structure without decompressing anything.
    static func gifSize(_ bytes: [UInt8]) throws -> (width: Int, height: Int) {
        func corrupt(_ why: String) -> OCRError {
            OCRError(.corruptImage, "gif header: \(why)")
        }
        func le16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }

        // Header (6 bytes) and logical screen descriptor (7 bytes).
        guard bytes.count >= 13 else { throw corrupt("truncated screen descriptor") }
        var width = le16(6), height = le16(8)
        var at = 13 + colorTableSize(flags: bytes[10])

        while at < bytes.count {
            switch bytes[at] {
            case 0x3B:  // trailer
                return (width, height)
            case 0x21:  // extension: label, then data sub-blocks
                at = try skipSubBlocks(bytes, from: at + 2, or: corrupt("truncated extension"))
            case 0x2C:  // image descriptor, optional local table, LZW data
                guard at + 10 <= bytes.count else { throw corrupt("truncated frame") }
                width = max(width, le16(at + 1) + le16(at + 5))
                height = max(height, le16(at + 3) + le16(at + 7))
                at += 10 + colorTableSize(flags: bytes[at + 9]) + 1
                at = try skipSubBlocks(bytes, from: at, or: corrupt("truncated frame data"))
            default:
                throw corrupt("unknown block 0x\(String(bytes[at], radix: 16))")
            }
        }
        // A GIF without its trailer is truncated, but its size is known;
        // decoding will tell whether the frames are usable.
        return (width, height)
    }

    /// Bytes taken by a colour table whose presence and size are in `flags`.
    private static func colorTableSize(flags: UInt8) -> Int {
        flags & 0x80 == 0 ? 0 : 3 << (Int(flags & 0x07) + 1)
    }

    /// The offset after a run of GIF data sub-blocks ended by a zero length.
    private static func skipSubBlocks(
        _ bytes: [UInt8], from start: Int, or error: OCRError
    ) throws -> Int {
        var at = start
        while at < bytes.count {
            let length = Int(bytes[at])
            at += 1 + length
            if length == 0 {
                return at
            }
        }
        throw error
    }
}
