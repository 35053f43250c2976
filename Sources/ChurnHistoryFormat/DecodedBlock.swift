import ChurnCore
import Foundation

/// One block read back in full: every column as an array.
package struct DecodedBlock {
    package var rowCount: Int
    package var lines: [UInt64]
    package var probabilities: [Float]
    package var riskScores: [UInt8]
    package var levels: [UInt8]
    package var healths: [UInt8]
    /// Ids concatenated; row i's id is `idBytes[idStarts[i]..<idStarts[i + 1]]`.
    package var idBytes: [UInt8]
    package var idStarts: [Int]
    /// Three driver codes per row (`RowScore.noDriver` for none) and their impacts.
    package var drivers: [UInt16]
    package var impacts: [Double]
    package var actions: [UInt16]
    /// Per categorical feature, a code per row (`PredictionBlock.categoryCode`); empty when the block
    /// has no category data.
    package var categories: [[UInt16]] = []

    package func id(_ row: Int) -> String {
        String(decoding: idBytes[idStarts[row]..<idStarts[row + 1]], as: UTF8.self)
    }

    /// Reads the scores columns only.
    package static func scores(_ blob: UnsafeRawBufferPointer, rowCount n: Int) throws
        -> (probabilities: UnsafeRawBufferPointer, riskScores: UnsafeRawBufferPointer, levels: UnsafeRawBufferPointer,
            healths: UnsafeRawBufferPointer) {
        var s = ByteSource(blob)
        let p = try s.take(4 * n)
        let r = try s.take(n)
        let l = try s.take(n)
        let h = try s.take(n)
        return (p, r, l, h)
    }

    /// Decodes the ids column into concatenated bytes and starts.
    package static func ids(_ blob: UnsafeRawBufferPointer, rowCount n: Int) throws -> (bytes: [UInt8], starts: [Int]) {
        var starts = [Int](repeating: 0, count: n + 1)
        var capacity = max(64, blob.count * 4)
        var out = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { out.deallocate() }
        var used = 0
        var previousStart = 0
        var s = ByteSource(blob)
        for i in 0..<n {
            let shared = Int(try s.varint())
            let suffix = Int(try s.varint())
            guard shared <= used - previousStart else { throw ByteSource.Damaged() }
            let tail = try s.take(suffix)
            if used + shared + suffix > capacity {
                capacity = 2 * (used + shared + suffix)
                let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
                bigger.update(from: out, count: used)
                out.deallocate()
                out = bigger
            }
            // The shared prefix lies wholly before `used`: the copy never overlaps itself.
            if shared > 0 { (out + used).update(from: out + previousStart, count: shared) }
            if suffix > 0 { memcpy(out + used + shared, tail.baseAddress!, suffix) }
            starts[i] = used
            previousStart = used
            used += shared + suffix
        }
        starts[n] = used
        return (Array(UnsafeBufferPointer(start: out, count: used)), starts)
    }

    /// The intervention codes of a block: its `actions` column, or for a schema-2 block (nil) the
    /// tail of its `details` column.
    package static func actions(_ blob: UnsafeRawBufferPointer?, details: UnsafeRawBufferPointer, rowCount n: Int,
                                interventions: Int) throws -> [UInt16] {
        let width = PredictionBlock.actionWidth(names: interventions)
        let column: UnsafeRawBufferPointer
        if let blob {
            column = blob
        } else {
            guard details.count >= width * n else { throw ByteSource.Damaged() }
            column = UnsafeRawBufferPointer(rebasing: details[(details.count - width * n)...])
        }
        guard column.count == width * n else { throw ByteSource.Damaged() }
        var out = [UInt16](repeating: 0, count: n)
        for i in 0..<n {
            let a = width == 1 ? UInt16(column[i]) : UInt16(column[2 * i]) | UInt16(column[2 * i + 1]) << 8
            guard Int(a) < interventions else { throw ByteSource.Damaged() }
            out[i] = a
        }
        return out
    }

    /// Feature `feature`'s codes in a `categories` column laid out for features of `levels` levels.
    package static func categoryColumn(_ blob: UnsafeRawBufferPointer, rowCount n: Int, levels: [Int], feature: Int) throws -> [UInt16] {
        var start = 0
        for f in 0..<feature { start += PredictionBlock.categoryWidth(levels: levels[f]) * n }
        let width = PredictionBlock.categoryWidth(levels: levels[feature])
        let total = levels.reduce(0) { $0 + PredictionBlock.categoryWidth(levels: $1) * n }
        guard blob.count == total else { throw ByteSource.Damaged() }
        var out = [UInt16](repeating: 0, count: n)
        for i in 0..<n {
            let at = start + width * i
            let c = width == 1 ? UInt16(blob[at]) : UInt16(blob[at]) | UInt16(blob[at + 1]) << 8
            guard Int(c) <= levels[feature] + 1 else { throw ByteSource.Damaged() }
            out[i] = c
        }
        return out
    }

    /// Decodes the `high_ids` column.
    package static func highIds(_ blob: UnsafeRawBufferPointer, into body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var s = ByteSource(blob)
        while !s.isAtEnd {
            let n = Int(try s.varint())
            try body(try s.take(n))
        }
    }

    /// Decodes a whole block.
    package static func decode(rowCount n: Int, firstLine: UInt64, scores: UnsafeRawBufferPointer, ids: UnsafeRawBufferPointer,
                       details: UnsafeRawBufferPointer, driverNames: Int, interventions: Int,
                       actions actionBlob: UnsafeRawBufferPointer? = nil, categories: UnsafeRawBufferPointer? = nil,
                       categoryLevels: [Int] = []) throws -> DecodedBlock {
        let columns = try Self.scores(scores, rowCount: n)
        var probabilities = [Float](repeating: 0, count: n)
        for i in 0..<n {
            probabilities[i] = Float(bitPattern: UInt32(littleEndian: columns.probabilities.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
        }
        let (idBytes, idStarts) = try Self.ids(ids, rowCount: n)

        var s = ByteSource(details)
        var lines = [UInt64](repeating: 0, count: n)
        let flag = try s.byte()
        if flag == 0 {
            for i in 0..<n { lines[i] = firstLine &+ UInt64(i) }
        } else {
            var line = firstLine
            for i in 0..<n {
                line = line &+ UInt64(bitPattern: try s.signedVarint())
                lines[i] = line
            }
        }
        let driverWidth = PredictionBlock.driverWidth(names: driverNames)
        var drivers = [UInt16](repeating: RowScore.noDriver, count: 3 * n)
        var present = 0
        for k in 0..<(3 * n) {
            let code: UInt16
            if driverWidth == 1 {
                let b = try s.byte()
                code = b == 0xFF ? RowScore.noDriver : UInt16(b)
            } else {
                code = try s.uint16()
            }
            guard code == RowScore.noDriver || Int(code) < driverNames else { throw ByteSource.Damaged() }
            drivers[k] = code
            if code != RowScore.noDriver { present += 1 }
        }
        var impacts = [Double](repeating: 0, count: 3 * n)
        for k in 0..<(3 * n) where drivers[k] != RowScore.noDriver {
            impacts[k] = Double(try s.signedVarint()) / PredictionBlock.impactScale
        }
        let actionWidth = PredictionBlock.actionWidth(names: interventions)
        if actionBlob == nil { try s.skip(actionWidth * n) }
        guard s.isAtEnd else { throw ByteSource.Damaged() }
        let actions = try Self.actions(actionBlob, details: details, rowCount: n, interventions: interventions)
        var categoryCodes: [[UInt16]] = []
        if let categories, !categoryLevels.isEmpty {
            for f in 0..<categoryLevels.count {
                categoryCodes.append(try categoryColumn(categories, rowCount: n, levels: categoryLevels, feature: f))
            }
        }
        return DecodedBlock(rowCount: n, lines: lines, probabilities: probabilities, riskScores: Array(columns.riskScores),
                            levels: Array(columns.levels), healths: Array(columns.healths), idBytes: idBytes, idStarts: idStarts,
                            drivers: drivers, impacts: impacts, actions: actions, categories: categoryCodes)
    }
}
