/// The numbers and settings the crosscheck rules use (DESIGN.md "Rules"). Every field has a
/// documented default; `RulesConfiguration()` is the embedded-mode configuration.
public struct RulesConfiguration: Sendable, Hashable {
    /// Youngest age (whole years on the day checked) in scope for certificates. Default 18.
    public var minimumAge: Int = 18
    /// Oldest age in scope, inclusive. Default 49.
    public var maximumAge: Int = 49
    /// The sex in scope. Default `.female` (migrant women of childbearing age).
    public var sexInScope: Sex = .female
    /// Days after arrival (permit `arrivalDate`, licence `issuedOn`, enrolment `enrolledOn`)
    /// by which a valid certificate must be on file. Default 30.
    public var certificateGraceDays: Int = 30
    /// `certificate_expiring` is raised this many days before `validUntil`. Default 30.
    public var expiringWindowDays: Int = 30
    /// Days an alert may stay unacknowledged before the notify worker escalates it; the engine
    /// only uses it for `dueBy` (= `raisedAt` + this many days). Default 7.
    public var escalationDays: Int = 7
    /// The jurisdiction's time zone as a fixed offset east of UTC, in seconds. Calendar-day
    /// deadlines start at 00:00 in this zone. Default 28 800 (+08:00, Asia/Shanghai, no DST).
    public var utcOffsetSeconds: Int = 28_800
    /// Name of the zone, for display and logs. Default `Asia/Shanghai`.
    public var timeZoneName: String = "Asia/Shanghai"
    /// Household-registration region prefixes that count as local; a person whose
    /// `hukouRegion` starts with none of them is a migrant. Default `["421125"]`.
    public var localRegionPrefixes: [String] = ["421125"]
    /// Key for `personRef` (HMAC-SHA256 of the ID number). Must be set per deployment; the
    /// default is only for the embedded mode and tests.
    public var personRefSecret: [UInt8] = Array(RulesConfiguration.embeddedPersonRefSecret.utf8)

    /// The `personRef` key used when none is configured: for the embedded mode and tests only.
    public static let embeddedPersonRefSecret = "xiecha-embedded-default-person-ref-key"

    public init() {}

    /// Whether `hukouRegion` lies inside the jurisdiction (`Jurisdiction` decides; one rule for
    /// intake and the engine).
    public func isLocal(hukouRegion: String) -> Bool {
        Jurisdiction(regionPrefixes: localRegionPrefixes).isLocal(hukouRegion: hukouRegion)
    }

    /// The instant 00:00 of `date` in the jurisdiction's zone.
    public func startOf(_ date: LocalDate) -> Timestamp { Timestamp(startOf: date, utcOffsetSeconds: utcOffsetSeconds) }

    /// The calendar day `instant` falls on in the jurisdiction's zone.
    public func localDate(_ instant: Timestamp) -> LocalDate { instant.localDate(utcOffsetSeconds: utcOffsetSeconds) }
}
