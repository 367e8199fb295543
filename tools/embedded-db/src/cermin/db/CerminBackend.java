package cermin.db;

import java.util.Locale;
import java.util.Set;

import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.bson.Document;
import io.netty.channel.Channel;
import org.h2.mvstore.MVStore;

/** The H2 backend, committing each write before it is answered, with Cermin's databases. */
final class CerminBackend extends H2Backend {
  /** Commands that change data or indexes (lower case), as the driver sends them. */
  private static final Set<String> WRITES = Set.of(
      "insert", "update", "delete", "findandmodify", "create", "drop", "dropdatabase",
      "createindexes", "dropindexes", "renamecollection");

  CerminBackend(MVStore store) {
    super(store);
  }

  @Override
  protected MongoDatabase openOrCreateDatabase(String databaseName) {
    return new CerminDatabase(databaseName, getMvStore(), getCursorRegistry());
  }

  @Override
  public Document handleCommand(Channel channel, String databaseName, String command, Document query) {
    try {
      return super.handleCommand(channel, databaseName, command, query);
    } finally {
      // Also after a failed write: part of a batch may have been applied.
      if (WRITES.contains(command.toLowerCase(Locale.ROOT))) commit();
    }
  }
}
