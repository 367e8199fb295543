package cermin.db;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.KeyConstraintError;

/**
 * A unique index that also serves queries naming more fields than its keys: the library asks an
 * index only when the query's fields are exactly the index's, so `{_id, courseKey}` scanned the
 * whole collection. The index is asked with its own fields; the collection then checks each
 * document it returns against the whole query.
 */
final class WiderQueries extends Index<Object> {
  private final Index<Object> index;

  WiderQueries(Index<Object> index) {
    super(index.getName(), index.getKeys(), isSparse(index));
    this.index = index;
  }

  private static boolean isSparse(Index<Object> index) {
    return Boolean.TRUE.equals(index.toIndexDescription().get("sparse"));
  }

  /** The query's conditions on this index's fields, or null when one is missing. */
  private Document ownFields(Document query) {
    Document own = new Document();
    for (String key : keys()) {
      if (!query.containsKey(key)) return null;
      own.put(key, query.get(key));
    }
    return own;
  }

  @Override
  public boolean canHandle(Document query) {
    Document own = ownFields(query);
    return own != null && index.canHandle(own);
  }

  @Override
  public Iterable<Object> getPositions(Document query) {
    return index.getPositions(ownFields(query));
  }

  @Override public Object getPosition(Document document) { return index.getPosition(document); }
  @Override public void checkAdd(Document document, MongoCollection<Object> collection) { index.checkAdd(document, collection); }
  @Override public void add(Document document, Object position, MongoCollection<Object> collection) { index.add(document, position, collection); }
  @Override public Object remove(Document document) { return index.remove(document); }
  @Override public long getCount() { return index.getCount(); }
  @Override public boolean isEmpty() { return index.isEmpty(); }
  @Override public long getDataSize() { return index.getDataSize(); }
  @Override public void checkUpdate(Document oldDocument, Document newDocument, MongoCollection<Object> collection) { index.checkUpdate(oldDocument, newDocument, collection); }
  @Override public void updateInPlace(Document oldDocument, Document newDocument, Object position, MongoCollection<Object> collection) throws KeyConstraintError { index.updateInPlace(oldDocument, newDocument, position, collection); }
  @Override public void drop() { index.drop(); }
  @Override public boolean isUnique() { return index.isUnique(); }
}
