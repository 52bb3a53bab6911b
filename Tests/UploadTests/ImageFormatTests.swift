import Foundation
import SpoolKit
import TestKit
import Testing

/// Every accepted format is recognised by its bytes, whatever it is called, and
/// a copy cut in half is refused without leaving anything in the spool.
@Suite("image formats")
struct ImageFormatTests {
    /// ImageMagick's output name and the job extension the daemon must give it.
    static let formats: [(file: String, tail: String)] = [
        ("x.png", "png"), ("x.jpg", "jpg"), ("x.gif", "gif"), ("x.bmp", "bmp"),
        ("x.tif", "tif"), ("x.webp", "webp"), ("x.ppm", "pnm"), ("x.pgm", "pnm"),
        ("x.pbm", "pnm"),
    ]

    @Test func eachFormatIsAcceptedWholeAndRefusedCutShort() throws {
        let daemon = try UploadDaemon()
        let source = daemon.spool.directory.file("source.png")
        try Data(Images.clean()).write(to: URL(fileURLWithPath: source))

        for (file, tail) in ImageFormatTests.formats {
            let path = daemon.spool.directory.file(file)
            let convert = try ChildProcess(
                "/usr/bin/convert", [source, path], logDirectory: daemon.spool.directory.path)
            #expect(convert.wait(timeout: 30) == 0, "convert to \(file): \(convert.log)")
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))

            let before = daemon.snapshot()
            let cut = try RawHTTP.request(
                daemon.target, "POST", "/api/image/process",
                headers: ["Content-Type": "application/octet-stream"],
                body: Array(bytes.prefix(bytes.count / 2)))
            #expect(cut.status == 400, "\(file) cut short: got \(cut.status) \(cut.text)")
            #expect(cut.errorCode == "truncated_image", "\(file) cut short: got \(cut.text)")
            #expect(daemon.snapshot() == before, "\(file) cut short left files behind")

            let whole = try RawHTTP.request(
                daemon.target, "POST", "/api/image/process",
                headers: ["Content-Type": "application/octet-stream"], body: bytes)
            #expect(whole.status == 202, "\(file): got \(whole.status) \(whole.text)")
            let id = whole.json["id"] as? String ?? ""
            #expect(id.hasSuffix(".\(tail)"), "\(file): got id \(id), want .\(tail)")
        }
    }

    /// A JPEG ends where its structure says, not where the file does: a trailer
    /// after the end marker is accepted, and the end marker of a thumbnail inside
    /// an EXIF segment does not end the image around it.
    @Test func jpegIsWholeWhenItsStructureReachesTheEndMarker() throws {
        let daemon = try UploadDaemon()
        let image = try Images.jpeg()
        let body = Array(image.dropFirst(2))
        let startOfImage = Array(image.prefix(2))
        let payload = Array("Exif".utf8) + [0, 0] + image
        let thumbnail = [0xFF, 0xE1, UInt8((payload.count + 2) >> 8),
                         UInt8((payload.count + 2) & 0xFF)] + payload
        let trailer = Array("MotionPhoto_Data".utf8) + image + [UInt8](repeating: 0, count: 4096)

        let cases: [(name: String, bytes: [UInt8], status: Int)] = [
            ("whole", image, 202),
            ("whole, then a trailer holding another JPEG", image + trailer, 202),
            ("with a thumbnail, then a trailer", startOfImage + thumbnail + body + trailer, 202),
            ("only the thumbnail's end marker", startOfImage + thumbnail, 400),
            ("cut in its scan, after a thumbnail",
             startOfImage + thumbnail + body.prefix(body.count / 2), 400),
        ]
        for item in cases {
            let before = daemon.snapshot()
            let response = try RawHTTP.request(
                daemon.target, "POST", "/api/image/process",
                headers: ["Content-Type": "image/jpeg"], body: item.bytes)
            #expect(response.status == item.status,
                    "\(item.name): got \(response.status) \(response.text), want \(item.status)")
            if item.status == 400 {
                #expect(response.errorCode == "truncated_image", "\(item.name): \(response.text)")
                #expect(daemon.snapshot() == before, "\(item.name) left files behind")
            }
        }
    }
}
