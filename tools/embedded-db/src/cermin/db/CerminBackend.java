package cermin.db;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.bson.Document;
import io.netty.channel.Channel;
import org.h2.mvstore.MVStore;

/**
 * The H2 backend, committing each write before it is answered, with Cermin's databases.
 *
 * Commits are shared (a group commit): a write that finishes while another connection's commit is
 * under way waits for the next one, and a commit covers every write finished before it began. So
 * a class autosaving at once pays for one commit per burst, not one per save, and no write is
 * answered before a commit that includes it.
 */
final class CerminBackend extends H2Backend {
  /** Commands that change data or indexes (lower case), as the driver sends them. */
  private static final Set<String> WRITES = Set.of(
      "insert", "update", "delete", "findandmodify", "create", "drop", "dropdatabase",
      "createindexes", "dropindexes", "renamecollection");

  /**
   * Commands that change a collection's indexes or the set of collections. The library adds an
   * index to a plain list that queries iterate without a lock, so an index created while another
   * connection queried the collection failed that query ("Unknown error: null", a
   * ConcurrentModificationException; seen at a start under load). These run alone; every other
   * command shares the lock, which costs nothing while no schema change waits.
   */
  private static final Set<String> SCHEMA_CHANGES = Set.of(
      "create", "drop", "dropdatabase", "createindexes", "dropindexes", "renamecollection");
  private final ReadWriteLock schema = new ReentrantReadWriteLock();

  /** Writes finished so far (numbered), and the number the last commit covered. */
  private long writesFinished;
  private long writesCommitted;
  private final Object counters = new Object();
  private final Object committing = new Object();

  CerminBackend(MVStore store) {
    super(store);
  }

  /** Returns once a commit that began after this call's write finished has completed. */
  private void commitCovering() {
    long mine;
    synchronized (counters) {
      mine = ++writesFinished;
    }
    synchronized (committing) {
      long upTo;
      synchronized (counters) {
        if (writesCommitted >= mine) return;
        upTo = writesFinished;
      }
      commit();
      synchronized (counters) {
        writesCommitted = upTo;
      }
    }
  }

  @Override
  protected MongoDatabase openOrCreateDatabase(String databaseName) {
    return new CerminDatabase(databaseName, getMvStore(), getCursorRegistry());
  }

  @Override
  public Document handleCommand(Channel channel, String databaseName, String command, Document query) {
    String name = command.toLowerCase(Locale.ROOT);
    Lock lock = SCHEMA_CHANGES.contains(name) ? schema.writeLock() : schema.readLock();
    lock.lock();
    try {
      return super.handleCommand(channel, databaseName, command, query);
    } finally {
      lock.unlock();
      // Also after a failed write: part of a batch may have been applied.
      if (WRITES.contains(name)) commitCovering();
    }
  }
}
