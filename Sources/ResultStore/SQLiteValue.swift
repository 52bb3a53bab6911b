/// A value bound to, or read from, an SQL statement.
public enum SQLiteValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    /// `.null` for nil, else the text.
    public static func optional(_ text: String?) -> SQLiteValue {
        text.map(SQLiteValue.text) ?? .null
    }

    /// `.null` for nil, else the number.
    public static func optional(_ number: Double?) -> SQLiteValue {
        number.map(SQLiteValue.real) ?? .null
    }

    /// `.null` for nil, else 1 or 0.
    public static func optional(_ flag: Bool?) -> SQLiteValue {
        flag.map { .integer($0 ? 1 : 0) } ?? .null
    }

    /// The value as text, or nil for anything else.
    public var text: String? {
        if case .text(let value) = self { return value }
        return nil
    }

    /// The value as a number; integers widen to doubles.
    public var real: Double? {
        switch self {
        case .real(let value): value
        case .integer(let value): Double(value)
        default: nil
        }
    }

    /// The value as an integer, or nil for anything else.
    public var integer: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }
}
