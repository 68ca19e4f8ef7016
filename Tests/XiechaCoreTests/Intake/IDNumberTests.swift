import Testing
import XiechaCore

@Suite("IDNumber (GB 11643)")
struct IDNumberTests {
    /// Computed by hand with the ISO 7064 MOD 11-2 weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2.
    static let table: [(id: String, birth: String, sex: Sex)] = [
        ("421125199003070024", "1990-03-07", .female),
        ("510623199405121280", "1994-05-12", .female),
        ("11010519491231002X", "1949-12-31", .female),
        ("440524188001010014", "1880-01-01", .male),
        ("110101200002290018", "2000-02-29", .male),
    ]

    @Test func checkCharacterTable() throws {
        for row in Self.table {
            let id = try IDNumber(validating: row.id)
            #expect(id.value == row.id)
            #expect(id.birthDate == LocalDate(iso: row.birth))
            #expect(id.sex == row.sex)
            #expect(id.regionCode == row.id.prefix(6))
            #expect(IDNumber.checkCharacter(forFirst17: Array(row.id.utf8.prefix(17))) == row.id.utf8.last)
        }
    }

    @Test func everyWrongCheckCharacterIsRejected() {
        for row in Self.table {
            for c in "0123456789X" where c != row.id.last {
                let bad = String(row.id.dropLast()) + String(c)
                #expect(throws: IDNumber.Failure.invalidChecksum) { try IDNumber(validating: bad) }
            }
        }
    }

    @Test func checkCharacterXAndLowerCaseX() throws {
        #expect(try IDNumber(validating: "11010519491231002x").value == "11010519491231002X")
        #expect(IDNumber.make(region: "110105", birthDate: LocalDate(iso: "1949-12-31")!, sequence: 2).value
            == "11010519491231002X")
    }

    @Test func fullWidthAndSpacesAreNormalised() throws {
        let fullWidth = "４２１１２５１９９００３０７００２４"
        #expect(try IDNumber(validating: fullWidth).value == "421125199003070024")
        #expect(try IDNumber(validating: "１１０１０５１９４９１２３１００２ｘ").value == "11010519491231002X")
        #expect(try IDNumber(validating: " 421125199003070024\u{3000}").value == "421125199003070024")
    }

    @Test func legacy15DigitIDsHaveTheirOwnReason() {
        #expect(throws: IDNumber.Failure.legacy15Digit) { try IDNumber(validating: "421125900307002") }
        #expect(throws: IDNumber.Failure.legacy15Digit) { try IDNumber(validating: "４２１１２５９００３０７００２") }
    }

    @Test func malformed() {
        for s in ["", "42112519900307002", "4211251990030700244", "42112519900307002A", "A21125199003070024",
            "421125 19900307 0024x", "42112519900307002４４", "王芳"]
        {
            #expect(throws: IDNumber.Failure.invalidFormat, "\(s)") { try IDNumber(validating: s) }
        }
        // impossible embedded dates
        for s in ["421125199002300024", "421125199013070024"] {
            #expect(throws: IDNumber.Failure.invalidBirthDate) { try IDNumber(validating: s) }
        }
    }

    @Test func descriptionIsMasked() throws {
        let id = try IDNumber(validating: "421125199003070024")
        #expect("\(id)" == "4211**********0024")
    }

    @Test func reasonsForIDFailuresArePathFreeCodesWithPathInDetail() {
        let r = RecordDecoder.reason(for: .invalidChecksum, path: "parties[1].idNumber")
        #expect(r.code == "invalid_id_checksum")
        #expect(r.detail?.hasPrefix("parties[1].idNumber") == true)
        #expect(RecordDecoder.reason(for: .legacy15Digit, path: "x").code == "legacy_15_digit_id")
        #expect(RecordDecoder.reason(for: .invalidFormat, path: "x").code == "invalid_id_format")
    }
}
