import Foundation

/// Where a job came from.
public enum JobSource: String, Codable, Sendable, CaseIterable {
    case http, drop, cli, amqp
}

/// What a submitter said about a job, kept in `meta/NAME.json` until the job finishes.
///
/// A file dropped straight into `incoming/` has no meta file: it is a `drop` job
/// submitted when it was claimed. The meta file is written before the image is
/// published, so a worker that claims a job always finds it.
public struct JobMeta: Codable, Sendable, Equatable {
    public var source: JobSource
    public var submittedAt: Date
    /// The number the submitter expects to find, digits only.
    public var expected: String?
    /// `digits` or `text`; nil means the worker's default.
    public var mode: String?
    /// The name the file had when it was dropped or uploaded, for people.
    public var originalName: String?
    /// AMQP properties of the message the job came from, if any.
    public var messageID: String?
    public var correlationID: String?
    public var replyTo: String?
    /// How many workers died while holding this job.
    public var crashes: Int

    public init(
        source: JobSource, submittedAt: Date = Date(), expected: String? = nil,
        mode: String? = nil, originalName: String? = nil, messageID: String? = nil,
        correlationID: String? = nil, replyTo: String? = nil, crashes: Int = 0
    ) {
        self.source = source
        self.submittedAt = submittedAt
        self.expected = expected
        self.mode = mode
        self.originalName = originalName
        self.messageID = messageID
        self.correlationID = correlationID
        self.replyTo = replyTo
        self.crashes = crashes
    }

    enum CodingKeys: String, CodingKey {
        case source, expected, mode, crashes
        case submittedAt = "submitted_at"
        case originalName = "original_name"
        case messageID = "message_id"
        case correlationID = "correlation_id"
        case replyTo = "reply_to"
    }
}
