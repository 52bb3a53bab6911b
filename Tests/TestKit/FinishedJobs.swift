import Foundation
import SpoolKit

extension Spool {
    /// Makes one finished job the way a worker would: submits `bytes`, claims the
    /// job and finishes it with a result, without any OCR.
    ///
    /// - Parameters:
    ///   - digits: what the result says was read.
    ///   - failure: an error code for a failed job; nil for a done one.
    ///   - ocrMilliseconds: the OCR time the result reports.
    @discardableResult
    public func makeFinishedJob(
        digits: String = "42", expected: String? = nil, failure: String? = nil,
        ocrMilliseconds: Double? = 12, bytes: [UInt8] = Array("image".utf8)
    ) throws -> JobName {
        let name = try submit(bytes, tail: "png", meta: JobMeta(source: .cli, expected: expected))
        guard case .claimed(let claim) = try self.claim(name.string) else {
            throw CocoaError(.fileLocking)
        }
        var result = JobResult(
            id: claim.name.string, status: failure == nil ? .done : .failed,
            text: failure == nil ? digits : "", digits: failure == nil ? digits : "",
            numbers: failure == nil ? [digits] : [], confidence: 90, expected: expected,
            source: .cli, submittedAt: claim.meta.submittedAt, attempts: 1,
            error: failure.map { JobResult.Failure(code: $0, message: "made by a test") })
        result.startedAt = claim.startedAt
        result.ocrMilliseconds = failure == nil ? ocrMilliseconds : nil
        try finish(claim, result: result)
        return claim.name
    }
}
