import CMalloc

/// Gives the free parts of the heap back to the system. glibc keeps memory it has freed for later
/// mallocs; after a burst of connections (a flood) that is megabytes a quiet daemon never reuses.
public enum HeapTrim {
    public static func now() {
        _ = malloc_trim(0)
    }
}
