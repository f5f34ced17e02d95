public enum SteerTUI {}
