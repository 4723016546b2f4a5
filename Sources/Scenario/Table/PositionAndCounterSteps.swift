extension OpTable {
    /// `check_eventfd`, `lseek` and `check_position`: control steps that read or move state outside the
    /// ring, checked where they stand in the steps.
    static let positionAndCounterSteps: [StepSpec] = [
        StepSpec("check_eventfd", .control, "Reads an eventfd's counter from outside the ring (which resets it; with EFD_SEMAPHORE takes 1) and checks it: 0 when nothing signalled it (then nothing is read).", [
            ArgumentSpec("eventfd", .file, .required, "The eventfd resource."),
            ArgumentSpec("value", .unsigned(bits: 64, capturable: false), .required, "The counter it must hold."),
        ]),
        StepSpec("lseek", .control, "Moves a descriptor's file position from outside the ring (lseek(2)), as `offset: -1` reads and writes use it (IORING_FEAT_RW_CUR_POS).", [
            ArgumentSpec("fd", .file, .required, "The file."),
            ArgumentSpec("offset", .signed(bits: 64), .required, "The offset, from `whence`."),
            ArgumentSpec("whence", .constants(.seekWhence), .defaulted(.named(NamedValue(value: 0, names: ["SEEK_SET"])), shown: "SEEK_SET"),
                         "SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA or SEEK_HOLE."),
        ]),
        StepSpec("check_position", .control, "Checks a descriptor's file position, lseek(fd, 0, SEEK_CUR), at this point of the steps.", [
            ArgumentSpec("fd", .file, .required, "The file."),
            ArgumentSpec("offset", .unsigned(bits: 63, capturable: false), .required, "The position it must have."),
        ]),
    ]
}

extension ConstantFamily {
    /// `lseek(2)` whence values.
    public static let seekWhence = ConstantFamily("seek origin", bitSet: false, [
        "SEEK_SET": 0, "SEEK_CUR": 1, "SEEK_END": 2, "SEEK_DATA": 3, "SEEK_HOLE": 4,
    ])
}
