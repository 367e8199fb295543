package cermin.db;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import org.h2.mvstore.MVStore;

/**
 * H2's database with MongoDB's use of indexes: a unique index (the _id index among them) also
 * serves a query that has more fields than the index, and a non-unique index is kept (in memory,
 * rebuilt from the documents when the database opens) instead of being ignored.
 */
final class CerminDatabase extends H2Database {
  CerminDatabase(String databaseName, MVStore store, CursorRegistry cursorRegistry) {
    super(databaseName, store, cursorRegistry);
  }

  /*
   * Collections come into being implicitly (an insert, an update, an index on a new collection),
   * and the library's check-then-create is not atomic: two connections creating one collection at
   * once failed with "Unknown error: null" or "already existed" (seen at a start under load). One
   * creation at a time per database; looking up an existing collection stays unlocked.
   */
  @Override
  protected synchronized MongoCollection<Object> resolveOrCreateCollection(String collectionName) {
    return super.resolveOrCreateCollection(collectionName);
  }

  @Override
  public synchronized MongoCollection<Object> createCollectionOrThrowIfExists(String collectionName, CollectionOptions options) {
    return super.createCollectionOrThrowIfExists(collectionName, options);
  }

  @Override
  protected synchronized MongoCollection<Object> getOrCreateIndexesCollection() {
    return super.getOrCreateIndexesCollection();
  }

  @Override
  protected Index<Object> openOrCreateUniqueIndex(String collectionName, String indexName, List<IndexKey> keys, boolean sparse) {
    return new WiderQueries(super.openOrCreateUniqueIndex(collectionName, indexName, keys, sparse));
  }

  /**
   * Each collection's non-unique indexes, so that the one serving most of a query is the one asked.
   * Made on first use: the superclass's constructor already opens the stored collections' indexes,
   * before this class's fields are initialised.
   */
  private Map<String, List<SecondaryIndex>> secondaryIndexes;

  @Override
  protected synchronized Index<Object> openOrCreateSecondaryIndex(String collectionName, String indexName, List<IndexKey> keys, boolean sparse) {
    if (secondaryIndexes == null) secondaryIndexes = new ConcurrentHashMap<>();
    return new SecondaryIndex(indexName, keys, sparse, secondaryIndexes.computeIfAbsent(collectionName, c -> new ArrayList<>()));
  }
}
