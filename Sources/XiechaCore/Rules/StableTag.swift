/// An enum that a binary format stores as one byte: the case's explicit, permanent tag.
///
/// Why not the case's position in `allCases`: inserting or reordering a case would then silently
/// change the meaning of every byte already stored (a stored `married` would decode as
/// `divorced`). Each conforming enum writes its tags out once, in the `switch` of `stableTag`
/// below, so the compiler asks for a tag whenever a case is added, and decoding looks the tag up
/// (`init(stableTag:)`).
///
/// The rules for a tag, which `StableTagTests` pins case by case:
/// - once a build has written it, it never changes and is never given to another case (also not
///   after its case is removed);
/// - a new case takes the next unused number, wherever the case is declared;
/// - tags fit one byte, so an enum can have at most 256 cases.
///
/// The tags below were chosen equal to the positions the state format version 2 used before
/// tags were explicit, so states stored then decode unchanged.
public protocol StableTag: CaseIterable, Hashable, Sendable {
    /// This case's permanent one-byte tag.
    var stableTag: UInt8 { get }
}

extension StableTag {
    /// The case whose tag is `stableTag`, or `nil` for a tag this build does not know (written by
    /// a newer build, or corrupt bytes).
    public init?(stableTag: UInt8) {
        for c in Self.allCases where c.stableTag == stableTag {
            self = c
            return
        }
        return nil
    }

    /// The enum's name for diagnostics, without the module: `CertificateFact.MaritalStatus`.
    static var stableTagTypeName: String {
        let full = String(reflecting: Self.self)
        guard let dot = full.firstIndex(of: ".") else { return full }
        return String(full[full.index(after: dot)...])
    }
}

// MARK: - The tag table
//
// Every enum the binary person state (`PersonStateEncoding.swift`) stores. Add a case: give it the
// next unused tag here and a row in `StableTagTests`. Never renumber.

extension Topic: StableTag {
    public var stableTag: UInt8 {
        switch self {
        case .residencePermits: return 0
        case .marriageRegistrations: return 1
        case .businessLicenses: return 2
        case .schoolEnrollments: return 3
        case .certificates: return 4
        case .addressDirectory: return 5
        case .personEvents: return 6
        case .alerts: return 7
        case .deadLetters: return 8
        }
    }
}

extension PersonRole: StableTag {
    public var stableTag: UInt8 {
        switch self {
        case .permitHolder: return 0
        case .marriageParty: return 1
        case .licenseHolder: return 2
        case .child: return 3
        case .guardian: return 4
        case .certificateHolder: return 5
        case .spouse: return 6
        }
    }
}

extension Sex: StableTag {
    public var stableTag: UInt8 {
        switch self {
        case .female: return 0
        case .male: return 1
        }
    }
}

extension PersonEvent.Fact.Kind: StableTag {
    public var stableTag: UInt8 {
        switch self {
        case .residencePermit: return 0
        case .marriageRegistration: return 1
        case .businessLicense: return 2
        case .schoolEnrollment: return 3
        case .certificate: return 4
        }
    }
}

extension ResidencePermitFact.Event: StableTag {
    public var stableTag: UInt8 {
        switch self {
        case .registered: return 0
        case .renewed: return 1
        case .cancelled: return 2
        }
    }
}

extension MarriageRegistrationFact.Event: StableTag {
    public var stableTag: UInt8 {
        switch self {
        case .marriage: return 0
        case .divorce: return 1
        }
    }
}

extension BusinessLicenseFact.Event: StableTag {
    public var stableTag: UInt8 {
        switch self {
        case .issued: return 0
        case .changed: return 1
        case .revoked: return 2
        }
    }
}

extension SchoolEnrollmentFact.Event: StableTag {
    public var stableTag: UInt8 {
        switch self {
        case .enrolled: return 0
        case .withdrawn: return 1
        }
    }
}

extension SchoolEnrollmentFact.Relation: StableTag {
    public var stableTag: UInt8 {
        switch self {
        case .mother: return 0
        case .father: return 1
        case .guardian: return 2
        }
    }
}

extension SchoolEnrollmentFact.SchoolLevel: StableTag {
    public var stableTag: UInt8 {
        switch self {
        case .kindergarten: return 0
        case .primary: return 1
        case .junior: return 2
        }
    }
}

extension CertificateFact.Event: StableTag {
    public var stableTag: UInt8 {
        switch self {
        case .issued: return 0
        case .renewed: return 1
        case .revoked: return 2
        case .verified: return 3
        }
    }
}

extension CertificateFact.MaritalStatus: StableTag {
    public var stableTag: UInt8 {
        switch self {
        case .unmarried: return 0
        case .married: return 1
        case .divorced: return 2
        case .widowed: return 3
        }
    }
}

extension AlertType: StableTag {
    public var stableTag: UInt8 {
        switch self {
        case .certificateMissing: return 0
        case .certificateExpiring: return 1
        case .certificateExpired: return 2
        case .maritalStatusChanged: return 3
        case .childNotOnCertificate: return 4
        case .movedIn: return 5
        case .movedOut: return 6
        case .recordConflict: return 7
        case .escalation: return 8
        }
    }
}

extension AlertStatus: StableTag {
    public var stableTag: UInt8 {
        switch self {
        case .open: return 0
        case .closed: return 1
        }
    }
}

extension AlertAudience: StableTag {
    public var stableTag: UInt8 {
        switch self {
        case .community: return 0
        case .street: return 1
        }
    }
}

extension AlertCloser.Kind: StableTag {
    public var stableTag: UInt8 {
        switch self {
        case .record: return 0
        case .office: return 1
        case .clock: return 2
        }
    }
}
