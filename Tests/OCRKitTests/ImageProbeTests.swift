import Foundation
import OCRKit
import Testing

@Suite struct ImageProbeTests {
    @Test func readsFormatAndSizeFromHeader() throws {
        let png = try ImageProbe.inspect(Fixtures.bytes("0000-clean.png"))
        #expect(png.format == "png")
        #expect(png.width > 0 && png.height > 0)

        let jpeg = try ImageProbe.inspect(Fixtures.bytes("0004-jpeg.jpg"))
        #expect(jpeg.format == "jpeg")
    }

    @Test func hugePngIsRefusedFromItsHeaderWithoutDecoding() throws {
        let bytes = Fixtures.bytes("huge.png")
        #expect(bytes.count < 4096)
        let header = try ImageProbe.inspect(bytes)
        #expect(header.width == 50000 && header.height == 50000)

        // Decoding would allocate 2.5 GB and take seconds; the header check
        // must answer in well under a second.
        let engine = try OCREngine()
        let started = Date()
        let error = #expect(throws: OCRError.self) {
            try engine.read(bytes, mode: .digits, limits: ReadLimits())
        }
        #expect(error?.code == .tooLarge, "got \(String(describing: error)), want too_large")
        #expect(Date().timeIntervalSince(started) < 0.2)
    }

    @Test(arguments: Fixtures.badFiles)
    func badFileFailsWithItsOwnCode(_ bad: Fixtures.BadFile) throws {
        let engine = try OCREngine()
        let error = #expect(throws: OCRError.self) {
            try engine.read(Fixtures.bytes(bad.file), mode: .digits, limits: ReadLimits())
        }
        #expect(error?.code.rawValue == bad.code,
                "\(bad.file): got \(String(describing: error)), want \(bad.code)")
    }

    @Test func gifFrameLargerThanItsScreenIsMeasured() throws {
        // A 1x1 logical screen hiding a 40000x40000 frame.
        var gif: [UInt8] = Array("GIF89a".utf8) + [1, 0, 1, 0, 0, 0, 0]
        gif += [0x2C, 0, 0, 0, 0, 0x40, 0x9C, 0x40, 0x9C, 0]
        gif += [2, 2, 0x4C, 0x01, 0, 0x3B]
        let header = try ImageProbe.inspect(gif)
        #expect(header.format == "gif")
        #expect(header.width == 40000 && header.height == 40000)

        let engine = try OCREngine()
        let error = #expect(throws: OCRError.self) {
            try engine.read(gif, mode: .digits, limits: ReadLimits())
        }
        #expect(error?.code == .tooLarge)
    }

    @Test func pixelLimitComesFromReadLimits() throws {
        let engine = try OCREngine()
        let bytes = Fixtures.bytes("0000-clean.png")
        let header = try ImageProbe.inspect(bytes)
        let limits = ReadLimits(maxPixels: header.width * header.height - 1)
        let error = #expect(throws: OCRError.self) {
            try engine.read(bytes, mode: .digits, limits: limits)
        }
        #expect(error?.code == .tooLarge)
    }
}
