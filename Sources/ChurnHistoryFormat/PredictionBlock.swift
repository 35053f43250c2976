import ChurnCore
import Foundation

/// The byte layout of one block of a run's predictions (schema 3): up to `blockRows` rows in input
/// order, stored column by column in the BLOBs of one `prediction_blocks` row. Little-endian;
/// varints are LEB128, signed ones zigzag.
///
/// - `scores`: probability as Float32 × n, then risk score u8 × n, risk level u8 × n, health u8 × n.
///   First in the row, so a scan sorting or filtering by them reads nothing else.
/// - `high_ids`: the ids of the High-risk rows, in order, each as varint length + bytes (what
///   newly-High comparisons read, without decoding the whole block).
/// - `ids`: front-coded against the previous row: varint shared-prefix length, varint suffix length,
///   suffix bytes.
/// - `details`: a flag byte (0: lines are `first_line`, `first_line + 1`, …; 1: a signed varint line
///   delta per row follows), driver codes (3 per row, 1 byte each when the run has fewer than 255
///   driver names, else 2; all-ones = no driver), one signed varint per present driver with its
///   impact in thousandths (the precision the results file prints). In schema-2 blocks (no
///   `actions` column) the intervention codes follow here.
/// - `actions`: the intervention code per row (1 byte when the run has at most 256 interventions,
///   else 2), on its own so an intervention filter reads nothing else.
/// - `categories`: for each of the model's categorical features in model order, a code per row
///   (`categoryCode`; 1 byte when the feature has at most 254 levels, else 2). NULL when the run
///   records no category data (cluster runs, schema-2 blocks).
package enum PredictionBlock {
    package static func categoryWidth(levels: Int) -> Int { levels + 2 <= 256 ? 1 : 2 }
    /// A row's code for a feature with `levels` levels: the level's index, `levels` for a blank
    /// cell, `levels + 1` for a value the model never saw.
    @inline(__always)
    package static func categoryCode(index: Int32, blank: Bool, levels: Int) -> UInt16 {
        index >= 0 ? UInt16(truncatingIfNeeded: index) : UInt16(truncatingIfNeeded: blank ? levels : levels + 1)
    }

    package static func driverWidth(names: Int) -> Int { names < 255 ? 1 : 2 }
    package static func actionWidth(names: Int) -> Int { names <= 256 ? 1 : 2 }
    /// Impacts are kept in thousandths, as the results CSV prints them.
    package static let impactScale = 1000.0

    @inline(__always)
    package static func quantize(_ impact: Float) -> Int64 {
        let v = Double(impact)
        guard v.isFinite else { return 0 }
        let clamped = min(max(v, -1e12), 1e12)
        return clamped >= 0 ? Int64(clamped * impactScale + 0.5) : -Int64(-clamped * impactScale + 0.5)
    }
}
