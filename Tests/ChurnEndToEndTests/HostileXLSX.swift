import Foundation

/// Writes hostile .xlsx files cheaply with Python's zipfile (deflate): the parts a workbook needs,
/// and a sheet (and shared-string table) streamed from generator expressions.
enum HostileXLSX {
    /// A Python prelude defining `make_xlsx(path, sheet_rows, shared_strings=None)`: `sheet_rows`
    /// and `shared_strings` are iterables of XML text pieces that go inside `<sheetData>` / `<sst>`.
    static let prelude = #"""
    import sys, zipfile
    NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    R = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'
    def make_xlsx(path, sheet_rows, shared_strings=None):
        with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
            z.writestr('[Content_Types].xml', '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
            z.writestr('_rels/.rels', '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                       '<Relationship Id="rId1" Type="' + R + '/officeDocument" Target="xl/workbook.xml"/></Relationships>')
            z.writestr('xl/workbook.xml', '<?xml version="1.0"?><workbook ' + NS + ' xmlns:r="' + R + '"><sheets>'
                       '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
            rels = '<Relationship Id="rId1" Type="' + R + '/worksheet" Target="worksheets/sheet1.xml"/>'
            if shared_strings is not None:
                rels += '<Relationship Id="rId2" Type="' + R + '/sharedStrings" Target="sharedStrings.xml"/>'
            z.writestr('xl/_rels/workbook.xml.rels', '<?xml version="1.0"?><Relationships '
                       'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' + rels + '</Relationships>')
            if shared_strings is not None:
                with z.open('xl/sharedStrings.xml', 'w', force_zip64=True) as f:
                    f.write(('<?xml version="1.0"?><sst ' + NS + '>').encode())
                    for piece in shared_strings: f.write(piece.encode())
                    f.write(b'</sst>')
            with z.open('xl/worksheets/sheet1.xml', 'w', force_zip64=True) as f:
                f.write(('<?xml version="1.0"?><worksheet ' + NS + '><sheetData>').encode())
                for piece in sheet_rows: f.write(piece.encode())
                f.write(b'</sheetData></worksheet>')

    """#
}
