/// The image formats the upload API accepts, judged by their bytes, never by a
/// name or a declared content type.
enum ImageFormat: String, CaseIterable, Sendable {
    case png, jpeg, gif, bmp, tiff, webp, pnm

    /// Bytes of the head `sniff` and `isComplete` look at.
    static let headLength = 64
    /// Bytes of the tail `isComplete` looks at.
    static let tailLength = 32

    /// The file extension jobs of this format get.
    var fileExtension: String {
        switch self {
        case .jpeg: "jpg"
        case .tiff: "tif"
        default: rawValue
        }
    }

    /// The format whose signature `head` starts with, or nil.
    static func sniff(_ head: [UInt8]) -> ImageFormat? {
        func starts(_ signature: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + signature.count
                && Array(head[offset..<offset + signature.count]) == signature
        }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return .gif }
        if starts(Array("BM".utf8)), head.count >= 26 { return .bmp }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return .tiff }
        if starts(Array("RIFF".utf8)), starts(Array("WEBP".utf8), at: 8) { return .webp }
        if head.count >= 3, head[0] == UInt8(ascii: "P"),
            (UInt8(ascii: "1")...UInt8(ascii: "7")).contains(head[1]), isSpace(head[2])
        {
            return .pnm
        }
        return nil
    }

    /// False when the file visibly stops short: no PNG `IEND`, no JPEG end marker
    /// where its structure puts it, no GIF trailer, or fewer bytes than a BMP, WebP
    /// or binary PNM header declares.
    ///
    /// - Parameters:
    ///   - head: the first `headLength` bytes (fewer if the file is shorter).
    ///   - tail: the last `tailLength` bytes.
    ///   - size: the file's length.
    ///   - jpegEnd: for a JPEG, the scanner that followed every byte of it.
    func isComplete(
        head: [UInt8], tail: [UInt8], size: Int, jpegEnd: JPEGEndScanner
    ) -> Bool {
        switch self {
        case .png:
            let end: [UInt8] = [0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]
            return tail.count >= 8 && Array(tail.suffix(8)) == end
        case .jpeg:
            return jpegEnd.sawEnd
        case .gif:
            return tail.last == 0x3B
        case .bmp:
            let declared = Self.littleEndian32(head, at: 2)
            return declared == 0 || declared <= size
        case .tiff:
            // XXX: only the first directory's offset is checked; a TIFF cut after
            // it passes here and fails later in the OCR daemon as corrupt_image.
            let littleEndian = head[0] == 0x49
            let offset = littleEndian
                ? Self.littleEndian32(head, at: 4) : Self.bigEndian32(head, at: 4)
            return offset >= 8 && offset < size
        case .webp:
            return Self.littleEndian32(head, at: 4) + 8 <= size
        case .pnm:
            guard let needed = Self.pnmLength(head) else { return true }
            return size >= needed
        }
    }

    /// Header plus raster length of a binary PNM (`P4`, `P5`, `P6`) whose header
    /// fits in `head` without comments; nil when it cannot be told.
    private static func pnmLength(_ head: [UInt8]) -> Int? {
        let kind = head[1]
        guard (UInt8(ascii: "4")...UInt8(ascii: "6")).contains(kind) else { return nil }
        let fieldCount = kind == UInt8(ascii: "4") ? 2 : 3
        var fields: [Int] = []
        var index = 2
        while fields.count < fieldCount {
            while index < head.count, isSpace(head[index]) { index += 1 }
            guard index < head.count, head[index] != UInt8(ascii: "#") else { return nil }
            var value = 0
            var digits = 0
            while index < head.count, let digit = decimal(head[index]) {
                value = value * 10 + digit
                digits += 1
                index += 1
                guard digits <= 9 else { return nil }
            }
            guard digits > 0, index < head.count, isSpace(head[index]) else { return nil }
            fields.append(value)
        }
        let header = index + 1
        let (width, height) = (fields[0], fields[1])
        switch kind {
        case UInt8(ascii: "4"):
            return header + (width + 7) / 8 * height
        case UInt8(ascii: "5"):
            return header + width * height * (fields[2] > 255 ? 2 : 1)
        default:
            return header + width * height * 3 * (fields[2] > 255 ? 2 : 1)
        }
    }

    private static func littleEndian32(_ bytes: [UInt8], at offset: Int) -> Int {
        guard bytes.count >= offset + 4 else { return 0 }
        return (0..<4).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
    }

    private static func bigEndian32(_ bytes: [UInt8], at offset: Int) -> Int {
        guard bytes.count >= offset + 4 else { return 0 }
        return (0..<4).reduce(0) { $0 << 8 | Int(bytes[offset + $1]) }
    }

    private static func decimal(_ byte: UInt8) -> Int? {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            ? Int(byte - UInt8(ascii: "0")) : nil
    }
}

private func isSpace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
}
