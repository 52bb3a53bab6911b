import Foundation

/// The outcome of a job, written as `done/NAME.json` or `failed/NAME.json`.
///
/// This is the contract every other part reads: the HTTP API, the result daemon
/// and the AMQP bridge serve it as it is. Keys are snake_case.
public struct JobResult: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable { case done, failed }

    /// Why a job failed: a machine-readable code and a sentence for a person.
    public struct Failure: Codable, Sendable, Equatable {
        public var code: String
        public var message: String
        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    public var id: String
    public var status: Status
    public var mode: String
    /// What was read.
    public var text: String
    /// The digits read, in reading order, without separators.
    public var digits: String
    /// The groups of digits read.
    public var numbers: [String]
    /// Tesseract's confidence, 0–100.
    public var confidence: Double
    public var expected: String?
    /// Whether `expected` is among the numbers read; nil when nothing was expected.
    public var verified: Bool?
    public var source: JobSource
    public var originalName: String?
    public var submittedAt: Date
    public var startedAt: Date?
    public var finishedAt: Date
    /// Milliseconds Tesseract spent on the image.
    public var ocrMilliseconds: Double?
    /// Workers that held the job: crashes plus the one that finished it.
    public var attempts: Int
    public var width: Int?
    public var height: Int?
    public var strategy: String?
    public var worker: String?
    public var error: Failure?
    public var messageID: String?
    public var correlationID: String?
    public var replyTo: String?

    public init(
        id: String, status: Status, mode: String = "digits", text: String = "",
        digits: String = "", numbers: [String] = [], confidence: Double = 0,
        expected: String? = nil, source: JobSource, submittedAt: Date,
        finishedAt: Date = Date(), attempts: Int, error: Failure? = nil
    ) {
        self.id = id
        self.status = status
        self.mode = mode
        self.text = text
        self.digits = digits
        self.numbers = numbers
        self.confidence = confidence
        self.expected = expected
        self.source = source
        self.submittedAt = submittedAt
        self.finishedAt = finishedAt
        self.attempts = attempts
        self.error = error
        self.verified = JobResult.verify(expected: expected, digits: digits, numbers: numbers)
    }

    /// A failure result for `name`, carrying what its meta file said.
    public static func failure(
        _ name: JobName, meta: JobMeta, code: String, message: String, attempts: Int
    ) -> JobResult {
        var result = JobResult(
            id: name.string, status: .failed, mode: meta.mode ?? "digits",
            expected: meta.expected, source: meta.source, submittedAt: meta.submittedAt,
            attempts: attempts, error: Failure(code: code, message: message))
        result.carry(meta)
        return result
    }

    /// Copies the submitter's details from `meta`.
    public mutating func carry(_ meta: JobMeta) {
        originalName = meta.originalName
        messageID = meta.messageID
        correlationID = meta.correlationID
        replyTo = meta.replyTo
    }

    /// True when `expected` (digits only) is one of the numbers read or all the digits.
    public static func verify(expected: String?, digits: String, numbers: [String]) -> Bool? {
        guard let expected else { return nil }
        let wanted = expected.filter(\.isNumber)
        guard !wanted.isEmpty else { return false }
        return digits == wanted || numbers.contains(wanted)
    }

    enum CodingKeys: String, CodingKey {
        case id, status, mode, text, digits, numbers, confidence, expected, verified, source
        case attempts, width, height, strategy, worker, error
        case originalName = "original_name"
        case submittedAt = "submitted_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case ocrMilliseconds = "ocr_ms"
        case messageID = "message_id"
        case correlationID = "correlation_id"
        case replyTo = "reply_to"
    }
}

/// The spool's JSON coding: sorted snake_case keys, ISO 8601 dates with milliseconds.
public enum SpoolJSON {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(format(date))
        }
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = parse(text) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "bad date \(text)"))
            }
            return date
        }
        return decoder
    }

    /// `2026-12-03T19:54:00.123Z`.
    public static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    public static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
