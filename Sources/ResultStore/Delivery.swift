/// Where a finished job's result is delivered.
public enum DeliveryTarget: String, Sendable, CaseIterable {
    /// The `--on-result` command.
    case hook
    /// The `--webhook` URL.
    case webhook
}

/// Where one delivery stands.
public enum DeliveryState: String, Sendable, CaseIterable {
    /// Owed: not yet delivered, may be leased by a running attempt.
    case pending
    /// Acknowledged by the target (exit 0, HTTP 2xx).
    case delivered
    /// Failed on every attempt allowed; the record is kept.
    case abandoned
    /// Owed to a target no longer configured.
    case skipped
}

/// One result owed to one target, leased to the process that runs it.
public struct Delivery: Sendable, Equatable {
    public var jobID: String
    public var target: DeliveryTarget
    /// The result's revision the delivery is for.
    public var revision: String
    /// Attempts made, counting the one this lease is for.
    public var attempt: Int
    /// The result JSON to deliver.
    public var json: String
}

/// One delivery as `ocrspool status` shows it.
public struct DeliveryStatus: Sendable, Equatable {
    public var target: DeliveryTarget
    public var state: DeliveryState
    public var attempts: Int
    public var lastError: String?
}
