public enum BertKitVersion {
    public static let string = "0.1.0"
}
