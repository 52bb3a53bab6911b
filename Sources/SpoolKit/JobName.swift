import Foundation

/// A job's name: its file name in every queue and its id everywhere else.
///
/// Names the spool gives have the form `20261203T195400-k3f9a2bq` followed by an
/// optional `.tail` (an extension, or the name a person dropped the file under), so
/// two files dropped under the same name become two jobs. A name is validated
/// before any path is built from it: no slashes, no leading dot, no `..`, only
/// `[A-Za-z0-9._-]`, at most 160 bytes.
public struct JobName: Hashable, Sendable, CustomStringConvertible, Codable {
    /// The file name, which is also the job id.
    public let string: String

    public var description: String { string }

    /// Accepts `text` if it is a well-formed spool-assigned name, else nil.
    public init?(_ text: String) {
        guard JobName.isAssigned(text) else { return nil }
        string = text
    }

    private init(unchecked text: String) { string = text }

    /// A fresh unique name ending in `.tail` (sanitised) when a tail is given.
    public static func fresh(tail: String? = nil, now: Date = Date()) -> JobName {
        var components = DateComponents()
        let calendar = Calendar(identifier: .gregorian)
        let utc = calendar.dateComponents(in: TimeZone(identifier: "UTC")!, from: now)
        components = utc
        let stamp = String(
            format: "%04d%02d%02dT%02d%02d%02d", components.year!, components.month!,
            components.day!, components.hour!, components.minute!, components.second!)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var generator = SystemRandomNumberGenerator()
        let random = String((0..<8).map { _ in alphabet[Int(generator.next() % 32)] })
        var name = "\(stamp)-\(random)"
        if let tail, let clean = sanitised(tail) { name += ".\(clean)" }
        return JobName(unchecked: name)
    }

    /// True when `text` has the shape of a spool-assigned name.
    public static func isAssigned(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 24, bytes.count <= maxLength else { return false }
        for index in 0..<24 {
            let byte = bytes[index]
            switch index {
            case 8: guard byte == UInt8(ascii: "T") else { return false }
            case 15: guard byte == UInt8(ascii: "-") else { return false }
            case 0..<15: guard isDigit(byte) else { return false }
            default: guard isLowerAlphanumeric(byte) else { return false }
            }
        }
        guard bytes.count > 24 else { return true }
        guard bytes[24] == UInt8(ascii: "."), bytes.count > 25 else { return false }
        return bytes[25...].allSatisfy(isNameByte) && !text.contains("..")
    }

    /// True when `text` may be used as a file name inside a queue at all (a name
    /// someone dropped): one path component, not hidden, not `.`/`..`.
    public static func isSafeFileName(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 255 else { return false }
        guard !text.hasPrefix("."), !text.contains("/"), !text.contains("\0") else { return false }
        return true
    }

    /// True for names writers use while a file is incomplete: hidden, `*.part`,
    /// `*.tmp`, `*~`. The spool ignores them until they are renamed.
    public static func isInProgress(_ text: String) -> Bool {
        text.hasPrefix(".") || text.hasSuffix(".part") || text.hasSuffix(".tmp")
            || text.hasSuffix("~")
    }

    static let maxLength = 160

    /// `tail` reduced to `[A-Za-z0-9._-]`, without leading dots, and short enough.
    static func sanitised(_ tail: String) -> String? {
        var bytes = tail.utf8.map { isNameByte($0) ? $0 : UInt8(ascii: "_") }
        while bytes.first == UInt8(ascii: ".") { bytes.removeFirst() }
        var clean = String(decoding: bytes.prefix(maxLength - 25), as: UTF8.self)
        while clean.contains("..") { clean = clean.replacingOccurrences(of: "..", with: "_") }
        return clean.isEmpty ? nil : clean
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard JobName.isAssigned(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "bad job name \(text)"))
        }
        string = text
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(string)
    }
}
