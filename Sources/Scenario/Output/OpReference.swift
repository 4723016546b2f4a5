public enum OpReference {
    public static var markdown: String { "" }
}
