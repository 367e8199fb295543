package cermin.db;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.ServerVersion;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.h2.mvstore.MVStore;

/**
 * Cermin's embedded database: mongo-java-server with its H2 (MVStore) backend, listening on
 * loopback. Arguments: host, port, data file. Prints "ready <port>" once it accepts connections.
 *
 * Two changes to the library's defaults, both for MongoDB's guarantees: every write command is
 * committed before its answer (CerminBackend; MVStore's own autocommit waits up to a second, so a
 * killed process lost acknowledged writes), and queries use indexes the way MongoDB does
 * (CerminDatabase: non-unique indexes, and an index serving a query with more fields than its own).
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    if (args.length != 3) {
      System.err.println("usage: cermin.db.Main <host> <port> <data file>");
      System.exit(2);
    }
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    // Reads of a pilot's collections stay in memory (MVStore's default cache is 16 MB).
    MVStore store = new MVStore.Builder().fileName(args[2]).cacheSize(256).autoCommitDisabled().open();
    CerminBackend backend = new CerminBackend(store);
    backend.version(ServerVersion.MONGO_5_0);
    MongoServer server = new MongoServer(backend);
    server.bind(host, port);
    // With autocommit off MVStore has no background thread, so nothing reclaims the space of
    // rewritten pages: without this the file grows with every update (a test run left 200 MB).
    ScheduledExecutorService housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "compact");
      t.setDaemon(true);
      return t;
    });
    housekeeping.scheduleWithFixedDelay(() -> {
      try {
        // Only when a good part of the file is dead space: a pass rewrites live pages (CPU and I/O).
        if (store.getFillRate() < 70 && store.compact(60, 16 * 1024 * 1024)) backend.commit();
      } catch (RuntimeException e) {
        System.err.println("compaction failed: " + e);
      }
    }, 30, 30, TimeUnit.SECONDS);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      housekeeping.shutdownNow();
      server.shutdownNow();
      backend.close();
    }, "shutdown"));
    System.out.println("ready " + port);
    System.out.flush();
  }
}
